import { EventEmitter } from 'node:events';
import type { ScheduledTask } from 'node-cron';
import type { Config, FolderConfig } from '../config/index.js';
import { InstanceLock, isDatabaseUnwritable, StateStore } from '../store/index.js';
import {
  BandwidthLimiter,
  createOssStorage,
  defaultRetryPolicy,
  FileUploader,
  MemoryBudget,
  UploadGate,
  withLimits,
  withRetries,
  type ObjectStorage,
  type RetryEvent,
} from '../uploader/index.js';
import type { CredentialsProvider, CredentialsState } from '../uploader/index.js';
import { buildCredentialsProvider } from './credentials/build-provider.js';
import { writeCredentialsStatus } from './credentials/credentials-status-file.js';
import { isCredentialsError } from './credentials/credentials-error.js';
import { DaemonAlreadyRunningError, StateDatabaseCorruptError, StateDatabaseUnwritableError } from './errors.js';
import { FolderSync } from './folder-sync.js';
import { OrphanSweeper } from './orphan-sweeper.js';
import { logRetry } from './retry-log.js';
import {
  abortOrphanedUploads,
  abortRecordedOrphans,
  abortRemovedFolderUploads,
  cleanUpStaleUploads,
  type CleanupContext,
} from './upload-cleanup.js';
import type { Logger } from './logger.js';
import { TransferScheduler } from './transfer-scheduler.js';
import { TransferWorker } from './transfer-worker.js';
import { StoreFailureMonitor } from './store-failure-monitor.js';
import { VerifiedBatch } from './verified-batch.js';
import { FatalPauses } from './fatal-pauses.js';
import { RunningTransfers } from './running-transfers.js';
import { walkerFromEnv, type WalkerChoice } from './reconcile-walk/reconcile-walk.js';
import { TimetableRunner } from './timetable-runner.js';

export interface DaemonOptions {
  config: Config;
  logger: Logger;
  version: string;
  /** 'run' watches and runs until stopped; 'once' reconciles, drains the queue and reports idle. */
  mode: 'run' | 'once';
  /** How reconciles walk folders; default OSS_SYNC_WALKER, else 'auto'. */
  walker?: WalkerChoice;
  /** A stop asked for before start() returned (a signal): cuts short what start-up waits for. */
  stopSignal?: AbortSignal;
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
}

const HEARTBEAT_MS = 5_000;
/** Sockets beyond the body requests in flight: heads, lists, completes and deletes alongside them. */
const SOCKETS_FOR_OTHER_REQUESTS = 8;
/** The scheduler's idle poll is 2 s: five missed polls mean it is stuck, not busy. */
const SCHEDULER_STALL_MS = 10_000;

/** A configured folder that is not being synced, and why (what `once` reports). */
export interface UnsyncedFolder {
  folder: string;
  path: string;
  reason: string;
}

/**
 * Wires config, store, uploader, folders and scheduler together; owns their life cycle.
 *
 * Life-cycle invariant: reload() and stop() run one at a time, in call order, on one promise chain
 * (`lifecycle`). A reload never overlaps another reload or a stop, so it never starts a folder or
 * rebuilds the transfer machinery on a closed store; once stop() was called, later reloads are
 * ignored (logged), and a reload still running sees `stopping` and starts nothing new.
 */
export class Daemon extends EventEmitter<DaemonEvents> {
  private readonly folders = new Map<string, FolderSync>();
  private readonly fatalPauses = new FatalPauses();
  /** Folders an operator paused (status page): their queue waits until resumed; not persisted across restarts. */
  private readonly operatorPauses = new Set<string>();
  /** When each folder last finished a reconcile walk without error (epoch ms; the start-up walk included). */
  readonly lastReconciledAt = new Map<string, number>();
  /** The timetable's upload limit now (bytes per second; null: unlimited), for /metrics. */
  get bandwidthLimit(): number | null {
    return this.limiter.rate;
  }

  /** Whether the timetable lets uploads start now, for /metrics. */
  get uploadWindowOpen(): boolean {
    return this.gate.isOpen;
  }

  /** When the last stale-upload cleanup finished (epoch ms), for /metrics. */
  lastCleanupAt: number | undefined;
  /** Transfers this process is running, each cancellable on its own (a removed folder's). */
  private readonly transfers = new RunningTransfers();
  private readonly orphans = new OrphanSweeper(
    () => abortRecordedOrphans(this.cleanupContext()),
    (err) =>
      isDatabaseUnwritable(err)
        ? this.storeFailures.report(err)
        : this.o.logger.warn('orphaned upload clean-up failed; will try at next start', { error: err as Error }),
  );
  private lifecycle: Promise<unknown> = Promise.resolve();
  /** Life-cycle operations started or waiting (0: the next one may start at once). */
  private lifecycleOps = 0;
  private stopping = false;
  /** Fired when stop() is called: cuts short what a reload waits for (cancelled transfers, aborts). */
  private readonly stopRequested = new AbortController();
  private stopped: Promise<{ settled: boolean }> | undefined;
  private scheduler!: TransferScheduler;
  private storage!: ObjectStorage;
  /** Where OSS credentials come from; rebuilt on reload (a SIGHUP re-reads a credentials file). */
  private credentials: CredentialsProvider | undefined;
  private cronTasks: ScheduledTask[] = [];
  private heartbeat: NodeJS.Timeout | undefined;
  private config: Config;
  /** The upload window and bandwidth limit (`timetable:`): one of each for the daemon's life. */
  private readonly gate = new UploadGate();
  private readonly limiter = new BandwidthLimiter();
  readonly timetable: TimetableRunner;

  private constructor(
    private readonly o: DaemonOptions,
    readonly store: StateStore,
    private readonly lock: InstanceLock,
  ) {
    super();
    this.config = o.config;
    this.timetable = new TimetableRunner({
      gate: this.gate,
      limiter: this.limiter,
      logger: o.logger,
      windows: o.mode === 'run',
      onOpen: () => this.scheduler?.kick(),
    });
    this.memory = new MemoryBudget(o.config.concurrency.memoryBytes, o.config.concurrency.files);
    o.stopSignal?.addEventListener('abort', () => this.stopRequested.abort(), { once: true });
    this.storeFailures = new StoreFailureMonitor({
      logger: o.logger,
      dbPath: store.path,
      onFailure: (err) => this.emit('storeFailed', err),
    });
    this.verified = new VerifiedBatch(store.queue, {
      // The waiting transfers get the error too; other errors (a bug) are theirs to report.
      onCommitFailed: (err) => this.storeFailures.reportIfUnwritable(err),
    });
  }

  /** Takes the instance lock, opens the state, resumes what was interrupted and starts working. */
  static async start(options: DaemonOptions): Promise<Daemon> {
    const o = { ...options, walker: options.walker ?? walkerFromEnv() }; // a bad value stops the start, named
    const { config, logger } = o;
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
      throw new DaemonAlreadyRunningError(config.stateDb, pid);
    }
    let store: StateStore | undefined;
    let daemon: Daemon | undefined;
    try {
      store = StateStore.open(config.stateDb);
      const check = store.quickCheck();
      if (check.length !== 1 || check[0] !== 'ok') throw new StateDatabaseCorruptError(config.stateDb, check);
      daemon = new Daemon(o, store, lock);
      await daemon.boot();
      return daemon;
    } catch (err) {
      await daemon?.abandonBoot();
      store?.close();
      lock.release();
      throw isDatabaseUnwritable(err) ? new StateDatabaseUnwritableError(config.stateDb, err) : err;
    }
  }

  private async boot(): Promise<void> {
    const { logger } = this.o;
    const resumed = this.store.queue.resetInterrupted();
    if (resumed > 0) logger.info('resuming interrupted transfers', { files: resumed });
    this.store.daemon.register({ pid: process.pid, version: this.o.version, configPath: this.config.sourcePath });
    this.buildTransfer();
    await abortOrphanedUploads(this.cleanupContext()).catch((err: unknown) => this.storeFailures.reportOrThrow(err));
    this.scheduler = new TransferScheduler(this.store.queue, {
      slots: this.config.concurrency.files,
      smallSlots: this.config.concurrency.smallFiles,
      largeFileBytes: this.config.multipartThreshold,
      memory: this.memory,
      activeFolders: () => this.activeFolderNames(),
      run: (row, signal) => this.transfers.run(row, signal, (cancel) => this.worker.run(row, cancel)),
    });
    // Idle means nothing left to do, which is only known once every folder has been walked.
    let walked = false;
    this.scheduler.on('idle', () => {
      if (walked) this.emit('idle');
    });
    this.scheduler.on('clockStep', (stepMs, moved) =>
      logger.warn('the wall clock stepped; waiting files keep their remaining wait', { stepMs: Math.round(stepMs), moved }),
    );
    this.scheduler.on('error', (err) =>
      isDatabaseUnwritable(err) ? this.storeFailures.report(err) : logger.error('scheduler error', { error: err }),
    );
    for (const folder of this.config.folders) this.addFolder(folder);
    await this.timetable.apply(this.config.timetable); // before the first claim: a closed window starts nothing
    // Uploads start as the start-up walks queue files, not after the last walk (a big tree takes seconds).
    this.scheduler.start();
    // A database failure while starting is reported (storeFailed) like one later: the caller stops.
    await Promise.all([...this.folders.values()].map((f) => f.start().catch((err: unknown) => this.storeFailures.reportOrThrow(err))));
    walked = true;
    this.scheduler.kick();
    if (this.o.mode === 'run') {
      await this.scheduleTasks();
      this.heartbeat = setInterval(() => this.storeFailures.guard(() => this.store.daemon.heartbeat()), HEARTBEAT_MS);
      this.heartbeat.unref();
    }
    // A store failure during start-up was logged as a stop: the start did not succeed.
    if (!this.storeFailure)
      logger.info('oss-sync started', { mode: this.o.mode, folders: this.config.folders.length, stateDb: this.config.stateDb });
  }

  private worker!: TransferWorker;
  /** One group commit for every worker this daemon builds (a reload replaces the worker, not this). */
  private readonly verified: VerifiedBatch;
  /**
   * concurrency.memory: every part buffer of every upload is paid from it. One for the daemon's life
   * (a reload changes its limit) so uploads of the old and the new uploader count together.
   */
  readonly memory: MemoryBudget;
  private readonly storeFailures: StoreFailureMonitor;

  /** (Re)creates the OSS client, uploader and worker from the current config. */
  private buildTransfer(): void {
    const c = this.config;
    const { logger } = this.o;
    // Requests in flight keep the old provider's credentials (valid until they expire); its timers stop.
    this.credentials?.close();
    const credentials = buildCredentialsProvider(c.oss, {
      onWarn: (message) => {
        logger.warn(message);
        this.recordCredentials();
      },
      // Registered before anything can log them: called before the fetch resolves (base credentials too).
      onFetched: (fresh) => logger.addRotatingSecrets([fresh.accessKeySecret, fresh.securityToken]),
    });
    credentials.onRefresh(() => {
      if (this.credentials === credentials) this.onCredentialsRefreshed();
    });
    this.credentials = credentials;
    this.recordCredentials();
    // Fetch at once: status shows the expiry, and a provider that is down is warned about before any upload.
    credentials.get().catch(() => undefined);
    const log = logRetry(logger);
    const onRetry = (event: RetryEvent): void => {
      log(event);
      this.emit('retry', event);
    };
    const inFlight = c.concurrency.smallFiles + c.concurrency.files * c.concurrency.partsPerFile;
    const oss = { ...c.oss, maxSockets: inFlight + SOCKETS_FOR_OTHER_REQUESTS };
    const retrying = withRetries(createOssStorage(oss, credentials), defaultRetryPolicy({ onRetry }));
    this.storage = withLimits(retrying, {
      gate: this.gate,
      limiter: this.limiter,
      bodySlots: inFlight,
      ossTrafficLimit: c.timetable?.ossTrafficLimit ?? false,
      onCutOff: (operation, ref) =>
        logger.info('request cut off by the upload window; sent again when it opens', { operation, key: ref.key }),
    });
    const uploader = new FileUploader(this.storage, {
      partSize: c.partSize,
      multipartThreshold: c.multipartThreshold,
      partConcurrency: c.concurrency.partsPerFile,
      memoryBudget: this.memory,
    });
    this.worker = new TransferWorker({
      store: this.store,
      uploader,
      storage: this.storage,
      logger: this.o.logger,
      folder: (name) => this.folders.get(name)?.folder,
      maxAttempts: c.maxAttempts,
      liveBackoffBaseMs: Math.max(1_000, c.settleMs), // a file changing under its upload: tried again after the window
      verified: this.verified,
      onFatal: (folder, err) => this.onFatal(folder, err),
      onStoreFailure: (err) => this.storeFailures.report(err),
      onGone: (folder, relPath, dev) => this.onGone(folder, relPath, dev),
    });
  }

  /** What the upload clean-ups need, as of now (the config and storage change on reload). */
  private cleanupContext(): CleanupContext {
    return {
      store: this.store,
      storage: this.storage,
      logger: this.o.logger,
      folders: this.config.folders,
      stopSignal: this.stopRequested.signal,
    };
  }

  /** Cancels the removed folders' transfers and waits for them (false if stop() came first). */
  private cancelTransfers(folders: ReadonlySet<string>): Promise<boolean> {
    return this.transfers.cancelFolders(folders, this.stopRequested.signal, (transfers) =>
      this.o.logger.info('waiting for transfers of removed folders to stop', { folders: [...folders], transfers }),
    );
  }

  private addFolder(folder: FolderConfig): void {
    const sync = new FolderSync(folder, {
      store: this.store,
      logger: this.o.logger,
      settleMs: this.config.settleMs,
      rescanIntervalMs: this.config.rescanIntervalMs,
      ignoreAbsolute: [this.config.stateDb, `${this.config.stateDb}.lock`],
      ignore: this.config.ignore,
      onWork: () => this.scheduler.kick(),
      watch: this.o.mode === 'run',
      onStoreFailure: (err) => this.storeFailures.report(err),
      walker: this.o.walker ?? 'auto',
      stopSignal: this.stopRequested.signal,
      onRemoved: () => this.orphans.request(),
      onReconciled: () => {
        this.lastReconciledAt.set(folder.name, Date.now());
        this.emit('reconciled', folder.name);
      },
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

  /**
   * Configured folders not being synced right now: paused because their root is missing, or after
   * an error every upload of the folder would hit. `once` reports them and exits 1.
   */
  unsyncedFolders(now = performance.now()): UnsyncedFolder[] {
    const health = new Map(this.store.daemon.folderHealth().map((h) => [h.folder, h]));
    const out: UnsyncedFolder[] = [];
    for (const sync of this.folders.values()) {
      const fatal = this.fatalPauses.pausedBy(sync.name, now);
      if (this.operatorPauses.has(sync.name)) {
        out.push({ folder: sync.name, path: sync.folder.path, reason: 'paused by an operator (resume it on the status page)' });
      } else if (fatal) {
        out.push({ folder: sync.name, path: sync.folder.path, reason: `paused after an error every upload would hit: ${fatal.message}` });
      } else if (!sync.active) {
        const note = health.get(sync.name)?.mode === 'paused' ? health.get(sync.name)?.note : undefined;
        out.push({ folder: sync.name, path: sync.folder.path, reason: `paused: ${note ?? 'folder is missing (unmounted disk?)'}` });
      } else if (sync.shortfall !== undefined) {
        out.push({ folder: sync.name, path: sync.folder.path, reason: sync.shortfall });
      }
    }
    return out;
  }

  /** What status and metrics show of the credentials (never a value): provider, expiry, last refresh. */
  credentialsState(): CredentialsState | undefined {
    return this.credentials?.state();
  }

  private recordCredentials(): void {
    const state = this.credentials?.state();
    if (!state) return;
    try {
      writeCredentialsStatus(this.config.stateDb, state);
    } catch (err) {
      this.o.logger.warn('could not record the credentials state for status', { error: err });
    }
  }

  /** Fresh credentials: folders resting for want of valid ones are tried again at once. */
  private onCredentialsRefreshed(): void {
    this.recordCredentials();
    const resumed = this.fatalPauses.resume(isCredentialsError);
    if (resumed.length === 0) return;
    this.o.logger.info('credentials renewed: resuming folders', { folders: resumed });
    for (const name of resumed) this.folders.get(name)?.recordHealth();
    this.scheduler?.kick();
  }

  private onFatal(folder: string, err: Error): void {
    const ms = this.fatalPauses.pause(folder, err);
    this.o.logger.error('folder paused after an error every upload would hit; fix the config and reload (SIGHUP)', {
      folder,
      pauseMs: ms,
      error: err,
    });
    this.store.daemon.setFolderHealth(folder, this.folders.get(folder)?.folder.path ?? '', 'paused', err.message);
    this.emit('fatal', folder, err);
  }

  /**
   * For the service manager's watchdog: the scheduler runs at least every few seconds (its idle poll),
   * so one that has not run for SCHEDULER_STALL_MS is stuck, and so is a daemon whose store failed.
   */
  healthy(): boolean {
    return this.storeFailure === undefined && performance.now() - this.scheduler.lastPumpAt < SCHEDULER_STALL_MS;
  }

  /** One line for `systemctl status`: counts only, never a path. */
  statusLine(): string {
    const sum = { queued: 0, uploading: 0, verified: 0, failed: 0 };
    const configured = new Set(this.config.folders.map((f) => f.name));
    for (const c of this.store.report.folderCounts()) {
      if (!configured.has(c.folder)) continue;
      sum.queued += c.queued;
      sum.uploading += c.uploading;
      sum.verified += c.verified;
      sum.failed += c.failed;
    }
    const paused = this.unsyncedFolders().length;
    const rate = this.limiter.rate;
    const timetable = `${this.gate.isOpen ? '' : '; uploads closed (timetable)'}${rate === null ? '' : `; limited to ${(rate / 2 ** 20).toFixed(1)} MiB/s`}`;
    return (
      `${configured.size} folder(s)${paused > 0 ? ` (${paused} paused)` : ''}: ` +
      `${sum.queued} queued, ${sum.uploading} uploading, ${sum.verified} uploaded, ${sum.failed} failed${timetable}`
    );
  }

  /** The configuration in force (a reload replaces it). */
  get currentConfig(): Config {
    return this.config;
  }

  /**
   * Stops (paused true) or restarts claiming a folder's queued files; transfers already running
   * finish. False for a folder not configured.
   */
  setOperatorPause(folder: string, paused: boolean): boolean {
    if (!this.folders.has(folder)) return false;
    if (paused === this.operatorPauses.has(folder)) return true;
    if (paused) this.operatorPauses.add(folder);
    else this.operatorPauses.delete(folder);
    this.o.logger.info(paused ? 'folder paused by an operator' : 'folder resumed by an operator', { folder });
    this.emit('operatorPause', folder, paused);
    if (!paused) this.scheduler.kick();
    return true;
  }

  /** Queues parked files again (like `oss-sync retry`), at once. Returns how many. */
  retryParked(folder: string, relPaths?: readonly string[]): number {
    const n = this.store.queue.retryFailed({ folder, relPaths });
    if (n > 0) this.scheduler.kick();
    return n;
  }

  /** The first state database failure, if any: the daemon stops on it (see StoreFailureMonitor). */
  get storeFailure(): Error | undefined {
    return this.storeFailures.error;
  }

  /** Undoes a boot that threw part-way: nothing it started may outlive the store it is about to lose. */
  private async abandonBoot(): Promise<void> {
    this.stopping = true;
    this.stopRequested.abort();
    for (const task of this.cronTasks) task.stop();
    this.timetable.stop();
    if (this.heartbeat) clearInterval(this.heartbeat);
    const scheduler = this.scheduler as TransferScheduler | undefined;
    await scheduler?.stop(0).catch(() => false);
    await Promise.all([...this.folders.values()].map((f) => f.close().catch(() => undefined)));
    await this.orphans.close(); // a sweep a start-up walk asked for must not outlive the store
  }

  private onGone(folder: string, relPath: string, fileDev: bigint): boolean {
    return this.folders.get(folder)?.fileGone(relPath, fileDev) ?? false;
  }

  /** node-cron is loaded here, in `run` only: `once` starts faster without it. */
  private async scheduleTasks(): Promise<void> {
    const { default: cron } = await import('node-cron');
    for (const task of this.cronTasks.splice(0)) task.stop();
    if (this.stopping) return;
    const { reconcileSchedule, cleanupSchedule } = this.config;
    if (reconcileSchedule) this.cronTasks.push(cron.schedule(reconcileSchedule, () => void this.reconcileAll('scheduled')));
    if (cleanupSchedule) this.cronTasks.push(cron.schedule(cleanupSchedule, () => void this.cleanUpStaleUploads()));
  }

  /** `oss-sync cleanup`, as run does it on cleanup_schedule: a failure is logged and tried at the next one. */
  async cleanUpStaleUploads(): Promise<void> {
    try {
      const entries = await cleanUpStaleUploads(this.cleanupContext(), { olderThanMs: this.config.cleanupOlderThanMs, dryRun: false });
      const aborted = entries.filter((e) => e.action === 'abort' && e.error === undefined);
      this.lastCleanupAt = Date.now();
      this.o.logger.info('cleaned up stale multipart uploads', { aborted: aborted.length, kept: entries.length - aborted.length });
    } catch (err) {
      if (isDatabaseUnwritable(err)) this.storeFailures.report(err);
      else this.o.logger.warn('stale multipart upload cleanup failed; tried again at the next cleanup_schedule', { error: err as Error });
    }
  }

  async reconcileAll(reason: string): Promise<void> {
    await Promise.all([...this.folders.values()].map((f) => f.reconcile(reason)));
  }

  /**
   * SIGHUP: folders added or removed take effect at once; logging and OSS settings apply to new
   * transfers. Settings that size running machinery (concurrency) need a restart, and say so.
   * Runs after any reload before it; ignored (logged) once stop() was called.
   */
  reload(next: Config): Promise<void> {
    return this.serialized(async () => {
      if (this.stopping) {
        this.o.logger.info('configuration reload ignored: the daemon is stopping', { config: next.sourcePath });
        return;
      }
      await this.applyConfig(next).catch((err: unknown) => this.storeFailures.reportOrThrow(err));
    });
  }

  /**
   * Runs a life-cycle operation after the ones before it. When none is running it starts at once
   * (synchronously up to its first await), so a stop() called right after a reload() finds that
   * reload in progress and waits for it.
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
    const { logger } = this.o;
    const prev = this.config;
    this.config = next;
    logger.setLevel(next.logLevel);
    logger.addSecrets([next.oss.accessKeySecret, next.oss.stsToken]);
    const rested = this.fatalPauses.clear(); // a fixed config deserves a try at once
    this.memory.setLimit(next.concurrency.memoryBytes, next.concurrency.files);
    this.buildTransfer();
    const wanted = new Map(next.folders.map((f) => [f.name, f]));
    const removed = new Set<string>();
    const restarted = new Set<string>();
    // Global settings every folder is built with: a change restarts them all, as its own would.
    const shared = (c: Config): string => JSON.stringify([c.settleMs, c.rescanIntervalMs, c.ignore]);
    const restartAll = shared(prev) !== shared(next);
    for (const [name, sync] of [...this.folders]) {
      const want = wanted.get(name);
      if (!want || restartAll || JSON.stringify(want) !== JSON.stringify(sync.folder)) {
        // Out of the map first: from now on the scheduler claims none of its rows.
        this.folders.delete(name);
        await sync.close();
        this.store.daemon.removeFolderHealth(name);
        (want ? restarted : removed).add(name);
        logger.info(want ? 'folder changed; restarting it' : 'folder removed from the config', { folder: name });
      }
    }
    // A removed folder's transfers stop before its uploads are aborted (see abortRemovedFolderUploads).
    if (removed.size > 0 && (await this.cancelTransfers(removed))) await abortRemovedFolderUploads(this.cleanupContext());
    if (this.stopping) {
      logger.info('configuration reload cut short: the daemon is stopping', { folders: next.folders.length });
      return;
    }
    const starting = next.folders.filter((f) => !this.folders.has(f.name));
    for (const f of starting) this.addFolder(f);
    await Promise.all(starting.map((f) => this.folders.get(f.name)!.start()));
    const schedulesChanged = prev.reconcileSchedule !== next.reconcileSchedule || prev.cleanupSchedule !== next.cleanupSchedule;
    if (schedulesChanged && this.o.mode === 'run') await this.scheduleTasks();
    if (JSON.stringify(prev.timetable) !== JSON.stringify(next.timetable)) await this.timetable.apply(next.timetable);
    if (prev.concurrency.files !== next.concurrency.files || prev.concurrency.smallFiles !== next.concurrency.smallFiles)
      logger.warn('concurrency.files and concurrency.small_files changes take effect after a restart');
    if (prev.stateDb !== next.stateDb)
      logger.warn('state_db changes take effect after a restart; this daemon keeps using the old one', { stateDb: prev.stateDb });
    for (const name of rested) this.folders.get(name)?.recordHealth(); // the restarted ones recorded theirs as they started
    const added = starting.length - restarted.size;
    logger.info('configuration reloaded', { folders: next.folders.length, added, restarted: restarted.size, removed: removed.size });
    this.scheduler.kick();
  }

  /**
   * Stops taking work, gives in-flight parts up to shutdownGraceMs to finish, records state and
   * releases the lock. Whatever did not finish resumes at the next start. Waits for a reload in
   * progress (which then starts nothing new); calling it again returns the same promise.
   */
  stop(): Promise<{ settled: boolean }> {
    if (!this.stopped) {
      this.stopping = true;
      this.stopRequested.abort();
      for (const task of this.cronTasks) task.stop();
      this.timetable.stop();
      if (this.heartbeat) clearInterval(this.heartbeat);
      this.stopped = this.serialized(() => this.shutdown());
    }
    return this.stopped;
  }

  private async shutdown(): Promise<{ settled: boolean }> {
    const settled = await this.scheduler.stop(this.config.shutdownGraceMs);
    await Promise.all([...this.folders.values()].map((f) => f.close()));
    await this.orphans.close();
    this.credentials?.close();
    this.verified.flush(); // a file verified as the grace ran out is recorded, not sent again
    this.storeFailures.guard(() => this.store.daemon.unregister());
    this.store.close();
    this.lock.release();
    this.o.logger.info('oss-sync stopped', { inFlightFinished: settled });
    return { settled };
  }
}
