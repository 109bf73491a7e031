import type { Config } from '../config/index.js';
import { isDatabaseUnwritable, type StateStore } from '../store/index.js';
import type { ObjectStorage } from '../uploader/index.js';
import type { Logger } from '../lib/logger.js';
import { verifyFolders } from './verify/verify-all.js';
import { MISMATCH_KINDS } from './verify/verify-folder.js';

export interface ScheduledVerifyContext {
  config: Config;
  store: StateStore;
  storage: ObjectStorage;
  logger: Logger;
  signal: AbortSignal;
}

/** What an alert names: the first mismatches, enough to start looking (the log line has them all). */
const ALERT_FINDINGS = 20;

/** A mismatch as an alert carries it. */
export interface VerifyAlert {
  mismatches: number;
  foldersNotChecked: Array<{ folder: string; error: string }>;
  findings: Array<{ folder: string; kind: string; path: string; detail: string }>;
}

/**
 * `oss-sync verify` on run's verify_schedule: the listing of every folder, and the CRC-64 of a
 * sample of files (verify_sample). Nothing is requeued: a mismatch is for an operator to look at
 * (`oss-sync verify --requeue`), so it is logged and handed to `onMismatch` (the webhook alert).
 * Invariant: one verify at a time; a tick that finds one still running is skipped (and logged).
 */
export class ScheduledVerify {
  private running = false;

  constructor(
    private readonly context: () => ScheduledVerifyContext,
    private readonly onMismatch: (alert: VerifyAlert) => void,
    private readonly onStoreFailure: (err: Error) => void,
  ) {}

  async run(): Promise<void> {
    const { config, store, storage, logger, signal } = this.context();
    if (this.running) {
      logger.info('scheduled verify skipped: the previous one is still running');
      return;
    }
    this.running = true;
    try {
      const sample = config.verifySample;
      const result = await verifyFolders(
        config,
        config.folders,
        { store, storage },
        {
          checksum: sample !== null,
          deep: false,
          ...(sample ? { sample } : {}),
          requeue: false,
          signal,
        },
      );
      const checked = result.folders.reduce((n, f) => n + f.checksummed, 0);
      if (result.ok) {
        logger.info('scheduled verify: all well', { folders: result.folders.length, checkedByCrc64: checked });
        return;
      }
      const findings = result.folders.flatMap((f) =>
        f.findings
          .filter((x) => MISMATCH_KINDS.has(x.kind))
          .map((x) => ({ folder: f.folder, kind: x.kind, path: x.relPath, detail: x.detail })),
      );
      logger.warn('scheduled verify found mismatches; `oss-sync verify --requeue` uploads the files again', {
        mismatches: result.mismatches,
        foldersNotChecked: result.errors,
        findings,
      });
      this.onMismatch({
        mismatches: result.mismatches,
        foldersNotChecked: result.errors,
        findings: findings.slice(0, ALERT_FINDINGS),
      });
    } catch (err) {
      if (isDatabaseUnwritable(err)) this.onStoreFailure(err as Error);
      else logger.warn('scheduled verify failed; tried again at the next verify_schedule', { error: err as Error });
    } finally {
      this.running = false;
    }
  }
}
