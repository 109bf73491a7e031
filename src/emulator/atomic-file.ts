import { randomBytes } from 'node:crypto';
import { readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** A unique file name for a temporary or versioned file. */
export function uniqueSuffix(): string {
  return `${Date.now().toString(36)}-${randomBytes(6).toString('hex')}`;
}

/** Writes JSON next to its destination and renames it into place, so readers see old or new, never half. */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  const temp = `${path}.${uniqueSuffix()}.tmp`;
  await writeFile(temp, JSON.stringify(value));
  try {
    await rename(temp, path);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  }
}

export async function readJson<T>(path: string): Promise<T> {
  return JSON.parse(await readFile(path, 'utf8')) as T;
}

/** Removes a file if it is there; a missing file is already the wanted outcome. */
export async function removeQuietly(path: string): Promise<void> {
  await unlink(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
  });
}

export function tempFilePath(tempDir: string): string {
  return join(tempDir, `${uniqueSuffix()}.part`);
}
