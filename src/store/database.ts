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
 *   the code has "recorded" survives any crash of the process (kill -9) and a clean reboot. A power
 *   cut may lose the last few commits, but WAL replays a prefix of them in order: the state after it
 *   was true earlier, and as uploads only move forward, resuming from it re-sends some work and never
 *   marks anything done that is not. FULL (an fsync per commit) costs throughput (bench/NOTES.md) for
 *   no gain in correctness.
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
 * A part of the state store on the shared connection. `sql` prepares each SQL text once per
 * connection: preparing costs more than running most of our statements, and the queue runs a few
 * per file. A text must always be used in the same mode (raw, pluck, safeIntegers), which holds
 * because each call site owns its text.
 */
export abstract class StoreTable {
  private readonly statements = new Map<string, Database.Statement>();

  constructor(protected readonly db: Db) {}

  protected sql(text: string): Database.Statement {
    let stmt = this.statements.get(text);
    if (!stmt) {
      stmt = this.db.prepare(text);
      this.statements.set(text, stmt);
    }
    return stmt;
  }

  /** Runs the statement once per item, all in ONE transaction; returns how many rows it changed in all. */
  protected runEach<T>(text: string, items: Iterable<T>, params: (item: T) => unknown[]): number {
    const stmt = this.sql(text);
    return this.db.transaction(() => {
      let changed = 0;
      for (const item of items) changed += stmt.run(...params(item)).changes;
      return changed;
    })();
  }
}

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
