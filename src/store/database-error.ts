import Database from 'better-sqlite3';

/** SQLite result codes (extended ones start with these) meaning the database file cannot take writes. */
const UNWRITABLE = [
  'SQLITE_FULL',
  'SQLITE_IOERR',
  'SQLITE_READONLY',
  'SQLITE_CORRUPT',
  'SQLITE_CANTOPEN',
  'SQLITE_NOTADB',
  'SQLITE_PERM',
  'SQLITE_NOMEM',
];

/**
 * Whether err is SQLite saying the state database cannot record anything more (disk full, I/O
 * error, a read-only file system, corruption), whichever file or folder was being worked on. Not a
 * busy timeout (another process held the lock a while) or a constraint (a bug): those are not the
 * disk's fault, and stopping the daemon would not help.
 */
export function isDatabaseUnwritable(err: unknown): err is Error & { code: string } {
  return err instanceof Database.SqliteError && UNWRITABLE.some((code) => err.code === code || err.code.startsWith(`${code}_`));
}
