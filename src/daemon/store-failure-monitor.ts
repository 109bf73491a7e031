import { isDatabaseUnwritable } from '../store/index.js';
import type { Logger } from '../lib/logger.js';

/**
 * The first write the state database refused (disk full, I/O error, read-only). Nothing more can be
 * recorded then, so going on would only send bytes that a restart sends again: it is logged once and
 * handed to onFailure, on which the daemon stops (the CLI exits 1; systemd restarts it). What was
 * recorded stays: SQLite rolled the failed transaction back.
 */
export class StoreFailureMonitor {
  private first: Error | undefined;

  constructor(private readonly o: { logger: Logger; dbPath: string; onFailure: (err: Error) => void }) {}

  get error(): Error | undefined {
    return this.first;
  }

  report(err: Error): void {
    if (this.first) return;
    this.first = err;
    this.o.logger.error(
      'the state database cannot be written; stopping. Free space or fix the file system, then start again: what was recorded is kept',
      {
        db: this.o.dbPath,
        code: (err as { code?: unknown }).code,
        error: err,
      },
    );
    this.o.onFailure(err);
  }

  /** A database that cannot be written is reported; any other error is thrown on. */
  reportOrThrow(err: unknown): void {
    if (!isDatabaseUnwritable(err)) throw err;
    this.report(err);
  }

  /** Reports an unwritable database; other errors are not this monitor's. */
  reportIfUnwritable(err: unknown): void {
    if (isDatabaseUnwritable(err)) this.report(err);
  }

  /** Runs a store write whose failure has no caller to report to. */
  guard(write: () => void): void {
    try {
      write();
    } catch (err) {
      this.reportOrThrow(err);
    }
  }
}
