import { readFileSync, renameSync, writeFileSync } from 'node:fs';

/**
 * A small JSON file one process writes and others read (what `status` shows of the running daemon):
 * mode 600, replaced by a rename, so readers see the old or the new content, never half of one.
 */
export function writePrivateJson(path: string, value: unknown): void {
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(value)}\n`, { mode: 0o600 });
  renameSync(temp, path);
}

/** The file's JSON, or undefined when it is missing or unreadable. */
export function readPrivateJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as unknown;
  } catch {
    return undefined;
  }
}
