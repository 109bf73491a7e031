import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { migrate } from './migrations.js';

export type Db = Database.Database;

/**
 * Opens (creating if needed) the state database with the settings crash safety depends on.
 *
 * - WAL: `status` reads while the daemon writes, and a commit is one append.
 * - synchronous=FULL: a commit is fsynced before it returns, so a part ETag or upload ID that the
 *   code has "recorded" survives kill -9 AND power loss. Commits are rare (one per part, a few per
 *   file, batches for walks), so the ~0.2 ms a commit costs here is noise next to the upload.
 * - busy_timeout: `status`, `retry` and the daemon share the file; wait briefly instead of failing.
 * - foreign_keys: parts vanish with their upload; an upload outlives a forgotten file (file_id NULL)
 *   so the orphan can still be aborted on the server.
 */
export function openDatabase(path: string, { readonly = false } = {}): Db {
  if (!readonly) mkdirSync(dirname(path), { recursive: true });
  let db: Db;
  try {
    db = new Database(path, { readonly, fileMustExist: readonly, timeout: 5_000 });
  } catch (err) {
    throw new Error(`cannot open state database ${path}: ${(err as Error).message}`);
  }
  try {
    if (!readonly) {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma('foreign_keys = ON');
      migrate(db, path);
    }
    return db;
  } catch (err) {
    db.close();
    throw new Error(`cannot use state database ${path}: ${(err as Error).message}`);
  }
}

/** PRAGMA integrity_check: ['ok'] when healthy, otherwise the problems SQLite found. */
export function integrityCheck(db: Db): string[] {
  return (db.pragma('integrity_check') as Array<{ integrity_check: string }>).map((r) => r.integrity_check);
}
