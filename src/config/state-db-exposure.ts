/**
 * The state database lists every backed-up path, and a user who can open its lock file can keep the
 * daemon from starting. oss-sync creates them 0600 in a 0700 folder; one made by an older version
 * (0644 in a 0755 folder) or opened up by hand is named at start-up, with the command that closes it.
 */
import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { IssueSink } from './issue-sink.js';

const octal = (mode: number): string => (mode & 0o777).toString(8).padStart(3, '0');

function modeOf(path: string): number | undefined {
  try {
    return statSync(path).mode;
  } catch {
    return undefined;
  }
}

/** Warns when the existing database (or a file beside it) is readable, or its folder open, to other users. */
export function warnIfStateDbExposed(stateDb: string, sink: IssueSink): void {
  if (process.platform === 'win32' || modeOf(stateDb) === undefined) return;
  const readable = [stateDb, `${stateDb}-wal`, `${stateDb}-shm`, `${stateDb}.lock`].flatMap((path) => {
    const mode = modeOf(path);
    return mode !== undefined && (mode & 0o044) !== 0 ? [{ path, mode }] : [];
  });
  if (readable.length > 0) {
    sink.warn(
      `state_db: other users can read ${readable.map((f) => `${f.path} (mode ${octal(f.mode)})`).join(', ')}: ` +
        `the database lists every backed-up path; run: chmod 600 ${readable.map((f) => f.path).join(' ')}`,
    );
  }
  const dir = dirname(stateDb);
  const dirMode = modeOf(dir);
  // Entering (x) alone reveals nothing; listing (r) or writing (w: replacing the database) does.
  if (dirMode !== undefined && (dirMode & 0o066) !== 0) {
    sink.warn(
      `state_db: its folder ${dir} is open to other users (mode ${octal(dirMode)}); run: chmod 700 ${dir} ` +
        '(under systemd, StateDirectoryMode=0700 keeps it so)',
    );
  }
}
