/**
 * The state database lists every backed-up path, and its lock file decides which process may run:
 * oss-sync's own files are its user's alone. Files are created 0600 before SQLite opens them
 * (SQLite gives `-wal` and `-shm` the mode of the database file), and the folders it creates 0700.
 * Existing files keep their mode: an administrator may have opened them up on purpose (the config
 * check warns about a database others can read).
 */
import { closeSync, constants, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';

const REASONS: Record<string, string> = {
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ENOENT: 'its folder does not exist',
  ENOTDIR: 'a part of the path is not a folder',
  EISDIR: 'it is a folder',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
};

/** Why a file system call failed, in words (the errno codes SQLite's own messages hide). */
export function fsReason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  return Object.hasOwn(REASONS, code) ? REASONS[code]! : (err as Error).message;
}

/**
 * Creates path's folder (and any missing parents) readable by its owner only, then path itself as
 * an empty 0600 file unless it exists, and checks that this process may write it: a failure names
 * path and why (read-only file system, permission, a missing folder) instead of SQLite's
 * "unable to open database file". what: e.g. 'the state database (state_db)'.
 */
export function preparePrivateFile(path: string, what: string): void {
  const dir = dirname(path);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    // mkdir -p says EEXIST when a part of the path is a file
    const reason = (err as NodeJS.ErrnoException).code === 'EEXIST' ? fsReason({ code: 'ENOTDIR' }) : fsReason(err);
    throw new Error(`cannot create the folder ${dir} of ${what} ${path}: ${reason}`);
  }
  try {
    // O_CREAT without O_EXCL: an existing file is opened for writing, which is the check we want.
    closeSync(openSync(path, constants.O_RDWR | constants.O_CREAT, 0o600));
  } catch (err) {
    throw new Error(`cannot open ${what} ${path} for writing: ${fsReason(err)}`);
  }
}
