import { accessSync, constants } from 'node:fs';
import { dirname } from 'node:path';
import { failpointValue } from '../lib/failpoint.js';
import { DaemonRegistry } from './daemon-registry.js';
import { type Db, openDatabase } from './database.js';
import { FileQueue } from './file-queue.js';
import { HeldDeletes } from './held-deletes.js';
import { requireCurrentSchema } from './migrations.js';
import { OperatorPauses } from './operator-pauses.js';
import { RemovedFiles } from './removed-files.js';
import { RestoreProgress } from './restore-progress.js';
import { StatusReport } from './status-report.js';
import { UploadRecords } from './upload-records.js';
import { VerifyRecords } from './verify-records.js';

/** The state database and its parts, opened once per process. */
export class StateStore {
  readonly queue: FileQueue;
  readonly uploads: UploadRecords;
  readonly daemon: DaemonRegistry;
  readonly report: StatusReport;
  readonly restores: RestoreProgress;
  readonly verify: VerifyRecords;
  readonly removed: RemovedFiles;
  readonly heldDeletes: HeldDeletes;
  readonly operatorPauses: OperatorPauses;

  private constructor(
    readonly path: string,
    private readonly db: Db,
  ) {
    this.queue = new FileQueue(db);
    this.uploads = new UploadRecords(db);
    this.daemon = new DaemonRegistry(db);
    this.report = new StatusReport(db);
    this.restores = new RestoreProgress(db);
    this.verify = new VerifyRecords(db);
    this.removed = new RemovedFiles(db);
    this.heldDeletes = new HeldDeletes(db);
    this.operatorPauses = new OperatorPauses(db);
  }

  static open(path: string): StateStore {
    const db = openDatabase(path);
    // Test failpoint: every write fails with SQLite's own SQLITE_READONLY N ms after opening, as after a
    // read-only remount (which Linux refuses while the database is open for writing).
    const readOnlyAfterMs = failpointValue('state-db-readonly-after-ms');
    if (readOnlyAfterMs !== undefined) setTimeout(() => db.open && db.pragma('query_only = ON'), Number(readOnlyAfterMs)).unref();
    return new StateStore(path, db);
  }

  /**
   * For readers (`status`): read-write when this user may write the database and its folder (it is
   * then migrated like any open), else read-only, so that an operator can read a running
   * service's state.
   */
  static openForReading(path: string): StateStore {
    try {
      accessSync(path, constants.W_OK);
      accessSync(dirname(path), constants.W_OK);
    } catch {
      return StateStore.openReadOnly(path);
    }
    return StateStore.open(path);
  }

  private static openReadOnly(path: string): StateStore {
    const db = openDatabase(path, { readonly: true });
    try {
      db.prepare('SELECT count(*) FROM sqlite_master').get(); // WAL: the first read maps <db>-shm
      requireCurrentSchema(db, path);
    } catch (err) {
      db.close();
      const code = (err as { code?: string }).code ?? '';
      if (!code.startsWith('SQLITE_READONLY') && code !== 'SQLITE_CANTOPEN') throw err;
      // SQLite reads a WAL database through <db>-shm, which the daemon leaves behind while it runs.
      throw new Error(
        `cannot read the state database ${path} as this user: with no daemon running, SQLite must create ${path}-shm, ` +
          `and ${dirname(path)} is not writable by this user; run status as the daemon's user (e.g. with sudo)`,
      );
    }
    return new StateStore(path, db);
  }

  /** PRAGMA integrity_check (for `status`): ['ok'] when healthy, otherwise the problems SQLite found. */
  integrityCheck(): string[] {
    return (this.db.pragma('integrity_check') as Array<{ integrity_check: string }>).map((r) => r.integrity_check);
  }

  /** PRAGMA quick_check, the cheaper structural check run at every start-up: ['ok'] when it passes. */
  quickCheck(): string[] {
    return (this.db.pragma('quick_check') as Array<{ quick_check: string }>).map((r) => r.quick_check);
  }

  /** Runs fn in one transaction (several store calls that must land together). */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
