import Database from 'better-sqlite3';

/**
 * Whether err came from SQLite itself (disk full, I/O error, a read-only file system, corruption):
 * the state database cannot record anything more, whichever file or folder was being worked on.
 */
export function isDatabaseError(err: unknown): err is Error & { code: string } {
  return err instanceof Database.SqliteError;
}
