import Database from 'better-sqlite3';
import { preparePrivateFile } from './private-files.js';

/**
 * One daemon per state database. The lock is an exclusive SQLite lock held on a sidecar file
 * (`<state db>.lock`) for the life of the process: the kernel releases it when the process dies,
 * even by kill -9, so there is no stale pid file to clean up. `status` probes it to tell whether a
 * daemon is running. The file is created 0600 (private-files.ts): another user who could open it
 * could hold a read lock on it and keep the daemon from starting.
 */
export class InstanceLock {
  private constructor(private readonly db: Database.Database) {}

  /** Takes the lock, or returns undefined if another process holds it. */
  static tryAcquire(stateDbPath: string): InstanceLock | undefined {
    let db: Database.Database;
    preparePrivateFile(`${stateDbPath}.lock`, 'the lock file of the state database (state_db)');
    try {
      db = new Database(`${stateDbPath}.lock`, { timeout: 0 });
    } catch (err) {
      throw new Error(`cannot create the lock file ${stateDbPath}.lock: ${(err as Error).message}`);
    }
    try {
      db.pragma('locking_mode = EXCLUSIVE');
      // The first write under EXCLUSIVE locking mode takes the lock and keeps it until close().
      db.exec('BEGIN EXCLUSIVE; CREATE TABLE IF NOT EXISTS held (pid INTEGER); COMMIT;');
      return new InstanceLock(db);
    } catch (err) {
      db.close();
      if ((err as { code?: string }).code === 'SQLITE_BUSY') return undefined;
      throw err;
    }
  }

  /**
   * Takes the lock, waiting up to waitMs for it: `status` probes the lock by holding it for a
   * moment, and a daemon starting in that moment must not mistake the probe for another daemon.
   */
  static async acquire(stateDbPath: string, waitMs = 2_000): Promise<InstanceLock | undefined> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const lock = InstanceLock.tryAcquire(stateDbPath);
      if (lock || Date.now() >= deadline) return lock;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** True when some process holds the lock (does not take it for longer than the probe). */
  static isHeld(stateDbPath: string): boolean {
    let lock: InstanceLock | undefined;
    try {
      lock = InstanceLock.tryAcquire(stateDbPath);
    } catch {
      return InstanceLock.isHeldReadOnly(stateDbPath);
    }
    if (!lock) return true;
    lock.release();
    return false;
  }

  /**
   * The probe for a user who may not write the lock file (an operator reading a service's state):
   * a read needs a shared lock, which the daemon's exclusive one refuses at once.
   */
  private static isHeldReadOnly(stateDbPath: string): boolean {
    let db: Database.Database | undefined;
    try {
      db = new Database(`${stateDbPath}.lock`, { readonly: true, fileMustExist: true, timeout: 0 });
      db.prepare('SELECT count(*) FROM sqlite_master').get();
      return false;
    } catch (err) {
      return (err as { code?: string }).code === 'SQLITE_BUSY';
    } finally {
      db?.close();
    }
  }

  release(): void {
    if (this.db.open) this.db.close();
  }
}
