import { EventEmitter } from 'node:events';
import type { ScheduledTask } from 'node-cron';
import type { Config, FolderConfig } from '../config/index.js';
import { SingleFlight } from '../lib/single-flight.js';
import { InstanceLock, isDatabaseUnwritable, OPERATOR_PAUSE_NOTE, StateStore } from '../store/index.js';
import {
  BandwidthLimiter,
  isCredentialsError,
  MemoryBudget,
  UploadGate,
  type CredentialsState,
  type RetryEvent,
} from '../uploader/index.js';
import { writeCredentialsStatus } from './credentials/credentials-status-file.js';
import { detectVersioning } from './bucket-versioning.js';
import { FatalPauses } from './fatal-pauses.js';
import { FolderSync } from './folder-sync.js';
import type { Logger } from '../lib/logger.js';
import { walkerFromEnv, type WalkerChoice } from './reconcile-walk/reconcile-walk.js';
import { planReload } from './reload-plan.js';
import { TimetableRunner } from './timetable-runner.js';
import { TransferScheduler } from './transfer-scheduler.js';
import { buildTransferStack, type TransferStack, type TransferStackParts } from './transfer-stack.js';
import {
  abortOrphanedUploads,
  abortRecordedOrphans,
  abortRemovedFolderUploads,
  cleanUpStaleUploads,
  type CleanupContext,
} from './upload-cleanup.js';
import { VerifiedBatch } from './verified-batch.js';
import { folderFilter } from './watch/path-filter.js';
import { verifyFolders } from './verify/verify-all.js';
import { MISMATCH_KINDS } from './verify/verify-folder.js';

export interface DaemonOptions {
  config: Config;
  logger: Logger;
  version: string;
  /** 'run' watches and runs until stopped; 'once' reconciles, drains the queue and reports idle. */
  mode: 'run' | 'once';
  /** A stop asked for before start() returned (a signal): cuts short what start-up waits for. */
  stopSignal?: AbortSignal;
  /** Tests only: a ready storage in place of the OSS client, for tests of the logic above it. */
  storage?: TransferStackParts['storage'];
}

interface DaemonEvents {
  /** Nothing left to do in any active folder (what `once` waits for). */
  idle: [];
  /** A folder hit an error every file of it would hit (credentials, bucket). */
  fatal: [folder: string, err: Error];
  /** The state database refused a write (disk full, I/O error, read-only): the daemon must stop. */
  storeFailed: [err: Error];
  /** A storage request failed and is tried again (metrics: retries and errors by code). */
  retry: [event: RetryEvent];
  /** A folder's reconcile walk finished without error (metrics, the ping URL). */
  reconciled: [folder: string];
  /** An operator paused or resumed a folder (the status page). */
  operatorPause: [folder: string, paused: boolean];
  /** A verify on verify_schedule found a mismatch or could not check a folder (the webhook alert). */
  verifyMismatch: [alert: VerifyAlert];
  /** A mirror folder's remote deletes were paused by max_deletes (an alert). */
  deletesHeld: [folder: string, held: number, limit: number];
}

/** A mismatch found on verify_schedule as its alert carries it: the first ALERT_FINDINGS (the log line has them all). */
export interface VerifyAlert {
  mismatches: number;
  foldersNotChecked: Array<{ folder: string; error: string }>;
  findings: Array<{ folder: string; kind: string; path: string; detail: string }>;
}
const ALERT_FINDINGS = 20;

const HEARTBEAT_MS = 5_000;
/** The scheduler's idle poll is 2 s: five missed polls mean it is stuck, not busy. */
const SCHEDULER_STALL_MS = 10_000;

/** A configured folder that is not being synced, and why (what `once` reports). */
export interface UnsyncedFolder {
  folder: string;
  path: string;
  reason: string;
}

/**
 * Wires config, store, transfer stack, folders and scheduler together; owns their life cycle.
 *
 * Life-cycle invariant: start-up, reload() and stop() run one at a time, in call order, on one
 * promise chain (`lifecycle`). A reload never overlaps another reload, the start-up or a stop, so it
 * never starts a folder or rebuilds the transfer stack on a closed store; once stop() was called,
 * later reloads are ignored (logged), and a reload still running sees `stopping` and starts nothing new.
 *
 * Store invariant: a state database that refuses writes becomes fatal in one place, onStoreError().
 */
export class Daemon extends EventEmitter<DaemonEvents> {
  private readonly folders = new Map<string, FolderSync>();
  private readonly fatalPauses = new FatalPauses();
  /** Folders an operator paused (status page): their queue waits until resumed; kept in the store, read at boot. */
  private operatorPauses = new Set<string>();
  /** When each folder last finished a reconcile walk without error (epoch ms; the start-up walk included). */
  readonly lastReconciledAt = new Map<string, number>();
  /** Retries no listener heard (boot resumes uploads before `run` attaches /metrics): kept until taken. */
  private unheardRetries: RetryEvent[] = [];
  /** When the last stale-upload cleanup finished (epoch ms), for /metrics. */
  lastCleanupAt: number | undefined;
  /** The first state database failure, if any: the daemon stops on it (see onStoreError). */
  storeFailure: Error | undefined;
  /** Recorded multipart uploads nobody will resume, aborted while the daemon runs (not only at the next start). */
  private readonly orphans = new SingleFlight(() =>
    abortRecordedOrphans(this.cleanupContext()).catch((err: unknown) =>
      this.onStoreError(err, () =>
        this.options.logger.warn('orphaned upload clean-up failed; will try at next start', { error: err as Error }),
      ),
    ),
  );
  /** A verify on verify_schedule is running: the next tick is skipped (one at a time). */
  private verifying = false;
  private lifecycle: Promise<unknown> = Promise.resolve();
  /** Life-cycle operations started or waiting (0: the next one may start at once). */
  private lifecycleOps = 0;
  private stopping = false;
  /** Fired when stop() is called: cuts short what a reload waits for (cancelled transfers, aborts). */
  private readonly stopRequested = new AbortController();
  private stopped: Promise<{ settled: boolean }> | undefined;
  private scheduler!: TransferScheduler;
  /** Rebuilt by a reload that changes what it is built from. */
  private stack!: TransferStack;
  private cronTasks: ScheduledTask[] = [];
  private heartbeat: NodeJS.Timeout | undefined;
  private config: Config;
  /** The upload window and bandwidth limit (`timetable:`): one of each for the daemon's life. */
  private readonly gate = new UploadGate();
  private readonly limiter = new BandwidthLimiter();
  readonly timetable: TimetableRunner;
  /** One group commit for every worker this daemon builds (a reload replaces the worker, not this). */
  private readonly verified: VerifiedBatch;
  /** concurrency.memory, paid for every part buffer: one for the daemon's life, so old and new uploaders count together. */
  readonly memory: MemoryBudget;

  private constructor(
    private readonly options: DaemonOptions & { walker: WalkerChoice },
    readonly store: StateStore,
    private readonly lock: InstanceLock,
  ) {
    super();
    this.config = options.config;
    this.timetable = new TimetableRunner({
      gate: this.gate,
      limiter: this.limiter,
      logger: options.logger,
      windows: options.mode === 'run',
      onOpen: () => this.scheduler?.kick(),
    });
    this.memory = new MemoryBudget(options.config.concurrency.memoryBytes, options.config.concurrency.files);
    options.stopSignal?.addEventListener('abort', () => this.stopRequested.abort(), { once: true });
    // The waiting transfers get the error too; other errors (a bug) are theirs to report.
    this.verified = new VerifiedBatch(store.queue, (err) => this.onStoreError(err, () => undefined));
  }

  /** Takes the instance lock, opens the state, resumes what was interrupted and starts working. */
  static async start(startOptions: DaemonOptions): Promise<Daemon> {
    // How reconciles walk folders: OSS_SYNC_WALKER, else 'auto'; a bad value stops the start, named.
    const options = { ...startOptions, walker: walkerFromEnv() };
    const { config, logger } = options;
    logger.addSecrets([config.oss.accessKeySecret, config.oss.stsToken]);
    const lock = await InstanceLock.acquire(config.stateDb);
    if (!lock) {
      let pid: number | undefined;
      try {
        const peek = StateStore.open(config.stateDb);
        pid = peek.daemon.info()?.pid;
        peek.close();
      } catch {
        // the message stays useful without the pid
      }
      // Two writers would upload everything twice.
      throw new Error(
        `another oss-sync daemon${pid ? ` (pid ${pid})` : ''} is already using the state database ${config.stateDb}; ` +
          'stop it first, or give this one its own state database',
      );
    }
    let store: StateStore | undefined;
    let daemon: Daemon | undefined;
    try {
      store = StateStore.open(config.stateDb);
      const check = store.quickCheck();
      if (check.length !== 1 || check[0] !== 'ok')
        throw new Error(`state database ${config.stateDb} is damaged (${check.slice(0, 3).join('; ')}); move it aside to start over`);
      const started = new Daemon(options, store, lock);
      daemon = started;
      await started.serialized(() => started.boot());
      return started;
    } catch (err) {
      await daemon?.abandonBoot();
      store?.close();
      lock.release();
      if (!isDatabaseUnwritable(err)) throw err;
      throw new Error(
        `the state database ${config.stateDb} cannot be written (${err.message}); free space or fix the file system, then start again`,
        { cause: err },
      );
    }
  }

  /** Start-up, on the life-cycle chain: its store errors are the caller's (a failed start). */
  private async boot(): Promise<void> {
    const { logger, mode } = this.options;
    const resumed = this.store.queue.resetInterrupted();
    if (resumed > 0) logger.info('resuming interrupted transfers', { files: resumed });
    this.store.daemon.register({ pid: process.pid, version: this.options.version, configPath: this.config.sourcePath });
    this.buildTransfer();
    this.store.operatorPauses.forgetAllBut(this.config.folders.map((f) => f.name));
    this.operatorPauses = this.store.operatorPauses.folders(); // before the scheduler's first claim
    // Adoption's listings go out first: they run during the rest of the start-up and the walks.
    for (const folder of this.config.folders) void this.stack.adoption.listFolder(folder, this.stopRequested.signal);
    // Not awaited: a request per bucket must not hold up the start (it is only logged and shown).
    const buckets = this.config.folders.map((f) => f.bucket);
    void detectVersioning(this.stack.storage, buckets, this.config.stateDb, logger, this.stopRequested.signal);
    await abortOrphanedUploads(this.cleanupContext());
    // Built once: each claimed row runs on the worker of the stack in force.
    this.scheduler = new TransferScheduler(this.store.queue, {
      slots: this.config.concurrency.files,
      smallSlots: this.config.concurrency.smallFiles,
      largeFileBytes: this.config.multipartThreshold,
      memory: this.memory,
      activeFolders: () => this.activeFolderNames(),
      run: (row, signal) => this.stack.worker.run(row, signal),
    });
    // Idle means nothing left to do, which is only known once every folder has been walked.
    let walked = false;
    this.scheduler.on('idle', () => {
      if (walked) this.emit('idle');
    });
    this.scheduler.on('clockStep', (stepMs, moved) =>
      logger.warn('the wall clock stepped; waiting files keep their remaining wait', { stepMs: Math.round(stepMs), moved }),
    );
    this.scheduler.on('error', (err) => this.onStoreError(err, () => logger.error('scheduler error', { error: err })));
    for (const folder of this.config.folders) this.addFolder(folder);
    await this.timetable.apply(this.config.timetable); // before the first claim: a closed window starts nothing
    // Uploads start as the start-up walks queue files, not after the last walk (a big tree takes seconds).
    this.scheduler.kick();
    await Promise.all([...this.folders.values()].map((f) => f.start()));
    walked = true;
    this.scheduler.kick();
    if (mode === 'run') {
      await this.scheduleTasks();
      this.heartbeat = setInterval(() => {
        this.storeWrite(() => this.store.daemon.heartbeat());
        this.storeWrite(() => this.applyStoredPauses());
      }, HEARTBEAT_MS);
      this.heartbeat.unref();
    }
    // A store failure a folder reported during start-up was logged as a stop: the start did not succeed.
    if (!this.storeFailure) logger.info('oss-sync started', { mode, folders: this.config.folders.length, stateDb: this.config.stateDb });
  }

  /**
   * THE place where a state database refusing writes (disk full, I/O error, read-only) becomes fatal:
   * going on would only send bytes a restart sends again. The first is logged and emitted
   * (`storeFailed`: the CLI exits 1); SQLite rolled the failed transaction back. Every path with no
   * caller to tell ends here. Any other error goes to `otherwise`, or is thrown on.
   */
  private readonly onStoreError = (err: unknown, otherwise?: () => void): void => {
    if (!isDatabaseUnwritable(err)) {
      if (!otherwise) throw err;
      otherwise();
      return;
    }
    if (this.storeFailure) return;
    this.storeFailure = err;
    this.options.logger.error(
      'the state database cannot be written; stopping. Free space or fix the file system, then start again: what was recorded is kept',
      { db: this.store.path, code: err.code, error: err },
    );
    this.emit('storeFailed', err);
  };

  /** Runs a store write whose failure has no caller to report to. */
  private storeWrite(write: () => void): void {
    try {
      write();
    } catch (err) {
      this.onStoreError(err);
    }
  }

  private buildTransfer(): void {
    const { logger } = this.options;
    // Requests in flight keep the old provider's credentials (valid until they expire); its timers stop.
    this.stack?.credentials.close();
    this.stack = buildTransferStack(this.config, {
      store: this.store,
      logger,
      gate: this.gate,
      limiter: this.limiter,
      memory: this.memory,
      verified: this.verified,
      storage: this.options.storage,
      outlastOutages: this.options.mode === 'run',
      folder: (name) => this.folders.get(name)?.folder,
      onRetry: (event) => {
        if (!this.emit('retry', event) && this.unheardRetries.length < 1000) this.unheardRetries.push(event);
      },
      onCredentialsWarn: (message) => {
        logger.warn(message);
        this.recordCredentials();
      },
      onCredentialsRefreshed: (provider) => {
        if (provider === this.stack.credentials) this.onCredentialsRefreshed();
      },
      onFatal: (folder, err) => this.onFatal(folder, err),
      onStoreError: this.onStoreError,
      onGone: (folder, relPath, dev) => this.folders.get(folder)?.fileGone(relPath, dev) ?? false,
    });
    this.recordCredentials();
    // Fetch at once: status shows the expiry, and a provider that is down is warned about before any upload.
    this.stack.credentials.get().catch(() => undefined);
  }

  /** What the upload clean-ups need, as of now (the config and storage change on reload). */
  private cleanupContext(): CleanupContext {
    return {
      store: this.store,
      storage: this.stack.storage,
      logger: this.options.logger,
      folders: this.config.folders,
      stopSignal: this.stopRequested.signal,
    };
  }

  private addFolder(folder: FolderConfig): void {
    const sync = new FolderSync(folder, {
      store: this.store,
      logger: this.options.logger,
      settleMs: this.config.settleMs,
      rescanIntervalMs: this.config.rescanIntervalMs,
      filter: folderFilter(folder, this.config),
      onWork: () => this.scheduler.kick(),
      watch: this.options.mode === 'run',
      onStoreError: this.onStoreError,
      walker: this.options.walker,
      stopSignal: this.stopRequested.signal,
      onRemoved: () => void this.orphans.request(),
      onReconciled: () => {
        this.lastReconciledAt.set(folder.name, Date.now());
        this.emit('reconciled', folder.name);
      },
      onDeletesHeld: (name, held, limit) => this.emit('deletesHeld', name, held, limit),
      adoption: () => this.stack.adoption,
    });
    this.folders.set(folder.name, sync);
  }

  private activeFolderNames(): string[] {
    if (!this.gate.isOpen) return []; // outside the upload window files stay queued
    const now = performance.now(); // fatal pauses keep monotonic time
    for (const name of this.fatalPauses.ended(now)) this.folders.get(name)?.recordHealth(); // tried again: no longer "paused"
    return [...this.folders.values()]
      .filter((f) => f.active && this.fatalPauses.pausedBy(f.name, now) === undefined && !this.operatorPauses.has(f.name))
      .map((f) => f.name);
  }

  /** Configured folders not being synced now (paused, or the last walk missed files), and why: `once` reports them and exits 1. */
  unsyncedFolders(now = performance.now()): UnsyncedFolder[] {
    const health = new Map(this.store.daemon.folderHealth().map((h) => [h.folder, h]));
    const out: UnsyncedFolder[] = [];
    for (const sync of this.folders.values()) {
      const fatal = this.fatalPauses.pausedBy(sync.name, now);
      const unsynced = (reason: string): number => out.push({ folder: sync.name, path: sync.folder.path, reason });
      if (this.operatorPauses.has(sync.name)) unsynced(OPERATOR_PAUSE_NOTE);
      else if (fatal) unsynced(`paused after an error every upload would hit: ${fatal.message}`);
      else if (!sync.active) {
        const note = health.get(sync.name)?.mode === 'paused' ? health.get(sync.name)?.note : undefined;
        unsynced(`paused: ${note ?? 'folder is missing (unmounted disk?)'}`);
      } else if (sync.shortfall !== undefined) unsynced(sync.shortfall);
    }
    return out;
  }

  /** What status and metrics show of the credentials (never a value): provider, expiry, last refresh. */
  credentialsState(): CredentialsState | undefined {
    return this.stack?.credentials.state();
  }

  private recordCredentials(): void {
    const state = this.credentialsState();
    if (!state) return;
    try {
      writeCredentialsStatus(this.config.stateDb, state);
    } catch (err) {
      this.options.logger.warn('could not record the credentials state for status', { error: err });
    }
  }

  /** Fresh credentials: folders resting for want of valid ones are tried again at once. */
  private onCredentialsRefreshed(): void {
    this.recordCredentials();
    const resumed = this.fatalPauses.resume(isCredentialsError);
    if (resumed.length === 0) return;
    this.options.logger.info('credentials renewed: resuming folders', { folders: resumed });
    for (const name of resumed) this.folders.get(name)?.recordHealth();
    this.scheduler?.kick();
  }

  private onFatal(folder: string, err: Error): void {
    const ms = this.fatalPauses.pause(folder, err);
    this.options.logger.error('folder paused after an error every upload would hit; fix the config and reload (SIGHUP)', {
      folder,
      pauseMs: ms,
      error: err,
    });
    this.store.daemon.setFolderHealth(folder, this.folders.get(folder)?.folder.path ?? '', 'paused', err.message);
    this.emit('fatal', folder, err);
  }

  /** The timetable's upload limit now (bytes per second; null: unlimited), for /metrics. */
  get bandwidthLimit(): number | null {
    return this.limiter.rate;
  }

  /** Whether the timetable lets uploads start now, for /metrics. */
  get uploadWindowOpen(): boolean {
    return this.gate.isOpen;
  }

  /** For the service manager's watchdog: false once the scheduler stalled (SCHEDULER_STALL_MS) or the store failed. */
  healthy(): boolean {
    return this.storeFailure === undefined && performance.now() - this.scheduler.lastPumpAt < SCHEDULER_STALL_MS;
  }

  /** One line for `systemctl status`: counts only, never a path. */
  statusLine(): string {
    const configured = new Set(this.config.folders.map((f) => f.name));
    const counts = this.store.report.folderCounts().filter((c) => configured.has(c.folder));
    const sum = (state: 'queued' | 'uploading' | 'verified' | 'failed'): number => counts.reduce((n, c) => n + c[state], 0);
    const paused = this.unsyncedFolders().length;
    const rate = this.limiter.rate;
    const timetable = `${this.gate.isOpen ? '' : '; uploads closed (timetable)'}${rate === null ? '' : `; limited to ${(rate / 2 ** 20).toFixed(1)} MiB/s`}`;
    return (
      `${configured.size} folder(s)${paused > 0 ? ` (${paused} paused)` : ''}: ` +
      `${sum('queued')} queued, ${sum('uploading')} uploading, ${sum('verified')} uploaded, ${sum('failed')} failed${timetable}`
    );
  }

  /** The configuration in force (a reload replaces it). */
  get currentConfig(): Config {
    return this.config;
  }

  /**
   * Stops (paused true) or restarts claiming a folder's queued files; running transfers finish. False
   * for a folder not configured. Kept in the store. Not on the life-cycle chain: it only flips a flag
   * the scheduler reads at each claim, which a reload keeps (by folder name), so it cannot race one.
   */
  setOperatorPause(folder: string, paused: boolean): boolean {
    if (!this.folders.has(folder)) return false;
    this.store.operatorPauses.set(folder, paused); // first: a pause the store refused is not shown as kept
    this.applyStoredPauses();
    return true;
  }

  /** `oss-sync pause` / `resume` write the store only: a running daemon takes them up at its heartbeat. */
  private applyStoredPauses(): void {
    const stored = this.store.operatorPauses.folders();
    for (const folder of this.folders.keys()) {
      const paused = stored.has(folder);
      if (paused === this.operatorPauses.has(folder)) continue;
      if (paused) this.operatorPauses.add(folder);
      else this.operatorPauses.delete(folder);
      this.options.logger.info(paused ? 'folder paused by an operator' : 'folder resumed by an operator', { folder });
      this.emit('operatorPause', folder, paused);
      if (!paused) this.scheduler.kick();
    }
  }

  /** The retries that happened before anyone listened to 'retry' (each handed out once). */
  takeUnheardRetries(): RetryEvent[] {
    return this.unheardRetries.splice(0);
  }

  /** Queues parked files again (like `oss-sync retry`), at once. Returns how many. */
  retryParked(folder: string, relPaths?: readonly string[]): number {
    const n = this.store.queue.retryFailed({ folder, relPaths });
    if (n > 0) this.scheduler.kick();
    return n;
  }

  /** Undoes a boot that threw part-way: nothing it started may outlive the store it is about to lose. */
  private async abandonBoot(): Promise<void> {
    this.halt();
    const scheduler = this.scheduler as TransferScheduler | undefined;
    await scheduler?.stop(0).catch(() => false);
    await Promise.all([...this.folders.values()].map((f) => f.close().catch(() => undefined)));
    await this.orphans.close(); // a sweep a start-up walk asked for must not outlive the store
  }

  /** node-cron is loaded here, in `run` only: `once` starts faster without it. */
  private async scheduleTasks(): Promise<void> {
    const { default: cron } = await import('node-cron');
    for (const task of this.cronTasks.splice(0)) task.stop();
    if (this.stopping) return;
    const { reconcileSchedule, cleanupSchedule, verifySchedule } = this.config;
    // FolderSync.reconcile never rejects: its errors are logged.
    const reconcileAll = (): void => [...this.folders.values()].forEach((f) => void f.reconcile('scheduled'));
    if (reconcileSchedule) this.cronTasks.push(cron.schedule(reconcileSchedule, reconcileAll));
    if (cleanupSchedule) this.cronTasks.push(cron.schedule(cleanupSchedule, () => void this.cleanUpStaleUploads()));
    if (verifySchedule) this.cronTasks.push(cron.schedule(verifySchedule, () => void this.verifyOnSchedule()));
  }

  /**
   * `oss-sync verify` on verify_schedule (CRC-64 of verify_sample's files). Nothing is requeued: a
   * mismatch is for an operator to look at, so it is logged and emitted (`verifyMismatch`).
   */
  private async verifyOnSchedule(): Promise<void> {
    const { logger } = this.options;
    if (this.verifying) {
      logger.info('scheduled verify skipped: the previous one is still running');
      return;
    }
    this.verifying = true;
    try {
      const sample = this.config.verifySample ?? undefined;
      const options = { checksum: sample !== undefined, deep: false, sample, requeue: false, signal: this.stopRequested.signal };
      const result = await verifyFolders(this.config, this.config.folders, { store: this.store, storage: this.stack.storage }, options);
      if (result.ok) {
        const checkedByCrc64 = result.folders.reduce((n, f) => n + f.checksummed, 0);
        logger.info('scheduled verify: all well', { folders: result.folders.length, checkedByCrc64 });
        return;
      }
      const findings = result.folders.flatMap((f) =>
        f.findings
          .filter((x) => MISMATCH_KINDS.has(x.kind))
          .map((x) => ({ folder: f.folder, kind: x.kind, path: x.relPath, detail: x.detail })),
      );
      const alert = { mismatches: result.mismatches, foldersNotChecked: result.errors, findings };
      logger.warn('scheduled verify found mismatches; `oss-sync verify --requeue` uploads the files again', alert);
      this.emit('verifyMismatch', { ...alert, findings: findings.slice(0, ALERT_FINDINGS) });
    } catch (err) {
      this.onStoreError(err, () =>
        logger.warn('scheduled verify failed; tried again at the next verify_schedule', { error: err as Error }),
      );
    } finally {
      this.verifying = false;
    }
  }

  /** `oss-sync cleanup`, as run does it on cleanup_schedule: a failure is logged and tried at the next one. */
  async cleanUpStaleUploads(): Promise<void> {
    const { logger } = this.options;
    try {
      const entries = await cleanUpStaleUploads(this.cleanupContext(), { olderThanMs: this.config.cleanupOlderThanMs, dryRun: false });
      const aborted = entries.filter((e) => e.action === 'abort' && e.error === undefined);
      this.lastCleanupAt = Date.now();
      logger.info('cleaned up stale multipart uploads', { aborted: aborted.length, kept: entries.length - aborted.length });
    } catch (err) {
      this.onStoreError(err, () =>
        logger.warn('stale multipart upload cleanup failed; tried again at the next cleanup_schedule', { error: err as Error }),
      );
    }
  }

  /**
   * SIGHUP: folders added or removed take effect at once; logging and OSS settings apply to new
   * transfers; concurrency needs a restart (logged). Ignored (logged) once stop() was called.
   */
  reload(next: Config): Promise<void> {
    return this.serialized(async () => {
      if (this.stopping) {
        this.options.logger.info('configuration reload ignored: the daemon is stopping', { config: next.sourcePath });
        return;
      }
      await this.applyConfig(next).catch((err: unknown) => this.onStoreError(err));
    });
  }

  /**
   * Runs a life-cycle operation after the ones before it; with none running it starts at once (up to
   * its first await), so a stop() right after a reload() finds that reload in progress and waits.
   */
  private serialized<T>(op: () => Promise<T>): Promise<T> {
    const run = this.lifecycleOps === 0 ? (async () => op())() : this.lifecycle.then(op);
    this.lifecycleOps++;
    this.lifecycle = run
      .catch(() => undefined)
      .finally(() => {
        this.lifecycleOps--;
      });
    return run;
  }

  private async applyConfig(next: Config): Promise<void> {
    const { logger, mode } = this.options;
    const prev = this.config;
    const plan = planReload(prev, next);
    this.config = next;
    logger.setLevel(next.logLevel);
    logger.addSecrets([next.oss.accessKeySecret, next.oss.stsToken]);
    const rested = this.fatalPauses.clear(); // a fixed config deserves a try at once
    this.memory.setLimit(next.concurrency.memoryBytes, next.concurrency.files);
    if (plan.rebuildTransfer) this.buildTransfer();
    const restarted = new Set(plan.restart.map((f) => f.name));
    for (const name of [...plan.remove, ...restarted]) {
      const sync = this.folders.get(name);
      if (!sync) continue;
      // Out of the map first: from now on the scheduler claims none of its rows.
      this.folders.delete(name);
      await sync.close();
      this.store.daemon.removeFolderHealth(name);
      logger.info(restarted.has(name) ? 'folder changed; restarting it' : 'folder removed from the config', { folder: name });
    }
    // A folder that leaves the config drops its pause, as at start-up: added back later, it starts unpaused.
    if (plan.remove.length > 0) this.store.operatorPauses.forgetAllBut(next.folders.map((f) => f.name));
    for (const name of plan.remove) this.operatorPauses.delete(name);
    // A removed folder's transfers stop before its uploads are aborted (see abortRemovedFolderUploads).
    const removed = new Set(plan.remove);
    const onWaiting = (transfers: number): void =>
      logger.info('waiting for transfers of removed folders to stop', { folders: plan.remove, transfers });
    // False if stop() came first: the scheduler's stop waits for them then.
    if (removed.size > 0 && (await this.scheduler.cancelFolders(removed, this.stopRequested.signal, onWaiting)))
      await abortRemovedFolderUploads(this.cleanupContext());
    if (this.stopping) {
      logger.info('configuration reload cut short: the daemon is stopping', { folders: next.folders.length });
      return;
    }
    const starting = next.folders.filter((f) => !this.folders.has(f.name));
    for (const f of starting) this.addFolder(f);
    await Promise.all(starting.map((f) => this.folders.get(f.name)!.start()));
    if (plan.reschedule && mode === 'run') await this.scheduleTasks();
    if (plan.timetableChanged) await this.timetable.apply(next.timetable);
    if (prev.concurrency.files !== next.concurrency.files || prev.concurrency.smallFiles !== next.concurrency.smallFiles)
      logger.warn('concurrency.files and concurrency.small_files changes take effect after a restart');
    if (prev.stateDb !== next.stateDb)
      logger.warn('state_db changes take effect after a restart; this daemon keeps using the old one', { stateDb: prev.stateDb });
    for (const name of rested) this.folders.get(name)?.recordHealth(); // the restarted ones recorded theirs as they started
    logger.info('configuration reloaded', {
      folders: next.folders.length,
      added: plan.add.length,
      restarted: restarted.size,
      removed: plan.remove.length,
    });
    this.scheduler.kick();
  }

  /** Takes no new work: what a reload or the start-up waits for is cut short, and every timer stops. */
  private halt(): void {
    this.stopping = true;
    this.stopRequested.abort();
    for (const task of this.cronTasks) task.stop();
    this.timetable.stop();
    if (this.heartbeat) clearInterval(this.heartbeat);
  }

  /**
   * Stops taking work, gives in-flight parts up to shutdownGraceMs to finish, records state and
   * releases the lock. Whatever did not finish resumes at the next start. Waits for a reload in
   * progress (which then starts nothing new); calling it again returns the same promise.
   */
  stop(): Promise<{ settled: boolean }> {
    if (!this.stopped) {
      this.halt();
      this.stopped = this.serialized(() => this.shutdown());
    }
    return this.stopped;
  }

  private async shutdown(): Promise<{ settled: boolean }> {
    const settled = await this.scheduler.stop(this.config.shutdownGraceMs);
    await Promise.all([...this.folders.values()].map((f) => f.close()));
    await this.orphans.close();
    this.stack.credentials.close();
    this.verified.flush(); // a file verified as the grace ran out is recorded, not sent again
    this.storeWrite(() => this.store.daemon.unregister());
    this.store.close();
    this.lock.release();
    this.options.logger.info('oss-sync stopped', { inFlightFinished: settled });
    return { settled };
  }
}
