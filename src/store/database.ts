import Database from 'better-sqlite3';
import { accessSync, constants } from 'node:fs';
import { migrate } from './migrations.js';
import { fsReason, preparePrivateFile } from './private-files.js';

export type Db = Database.Database;

/**
 * Opens (creating if needed) the state database with the settings crash safety depends on.
 *
 * - WAL: `status` reads while the daemon writes, and a commit is one append.
 * - synchronous=NORMAL: a commit is in the WAL (the OS's page cache) when it returns, so whatever
 *   the code has "recorded" survives kill -9, a crash of the process and a clean reboot. A power
 *   cut may lose the last few commits, but WAL replays a prefix of them in order, so the state after
 *   it is one that was true earlier; since uploads only move forward, resuming from an earlier
 *   state re-sends some parts or small files and never marks anything done that is not. FULL
 *   (an fsync per commit) caps small-file throughput at a fraction of a plain put loop
 *   (bench/NOTES.md) for no gain in correctness.
 * - busy_timeout: `status`, `retry` and the daemon share the file; wait briefly instead of failing.
 * - foreign_keys: parts vanish with their upload; an upload outlives a forgotten file (file_id NULL)
 *   so the orphan can still be aborted on the server.
 * - 0600 in a 0700 folder when oss-sync creates them (private-files.ts): the queue lists every
 *   backed-up path.
 */
export function openDatabase(path: string, { readonly = false } = {}): Db {
  if (!readonly) preparePrivateFile(path, 'the state database (state_db)');
  let db: Db;
  try {
    db = new Database(path, { readonly, fileMustExist: readonly, timeout: 5_000 });
  } catch (err) {
    throw new Error(`cannot open the state database (state_db) ${path}: ${(err as Error).message}${readReason(path)}`);
  }
  try {
    if (!readonly) {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      migrate(db, path);
    }
    return db;
  } catch (err) {
    db.close();
    throw new Error(`cannot use state database ${path}: ${(err as Error).message}`);
  }
}

/** `: permission denied` when the file system says why path cannot be read; SQLite's message does not. */
function readReason(path: string): string {
  try {
    accessSync(path, constants.R_OK);
    return '';
  } catch (err) {
    return ` (${fsReason(err)})`;
  }
}

/**
 * Prepares each SQL text once per connection. Preparing costs more than running most of our
 * statements, and the queue runs a few per file. A text must always be used in the same mode
 * (raw, pluck, safeIntegers), which holds because each call site owns its text.
 */
export function statementCache(db: Db): (sql: string) => Database.Statement {
  const cache = new Map<string, Database.Statement>();
  return (sql) => {
    let stmt = cache.get(sql);
    if (!stmt) {
      stmt = db.prepare(sql);
      cache.set(sql, stmt);
    }
    return stmt;
  };
}

/** PRAGMA quick_check: the cheaper check run at every start-up (integrity_check is for `status`). */
export function quickCheck(db: Db): string[] {
  return (db.pragma('quick_check') as Array<{ quick_check: string }>).map((r) => r.quick_check);
}

/** PRAGMA integrity_check: ['ok'] when healthy, otherwise the problems SQLite found. */
export function integrityCheck(db: Db): string[] {
  return (db.pragma('integrity_check') as Array<{ integrity_check: string }>).map((r) => r.integrity_check);
}
