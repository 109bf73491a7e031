/**
 * What the status page, /metrics and the alerts share: a sample of the daemon's status every
 * SAMPLE_MS (throughput history, parked files and paused folders found by comparing samples) and
 * counters fed by the daemon's events (retries, errors by code, reconciles).
 *
 * Sampling reads the state database rather than hooking the uploader: nothing here runs on the
 * upload path, so a slow page or a stuck webhook can never hold a transfer up.
 */
import { EventEmitter } from 'node:events';
import { storeSnapshot, type StatusSnapshot } from '../cli/status-snapshot.js';
import type { Daemon } from '../daemon/daemon.js';
import type { Logger } from '../lib/logger.js';
import type { RetryEvent } from '../uploader/index.js';

const SAMPLE_MS = 2_000;
/**
 * A sample runs the status queries on the daemon's thread; on a huge state database they take
 * time. The next sample waits at least this many times as long as the last one took, so sampling
 * never takes more than ~5% of the thread the uploads run on.
 */
const SAMPLE_COST_FACTOR = 20;
/** 15 minutes of samples for the throughput plot. */
const HISTORY_SAMPLES = (15 * 60_000) / SAMPLE_MS;
const RECENT_ERRORS = 30;

export interface ThroughputSample {
  /** Epoch ms. */
  at: number;
  bytesPerSecond: number;
}

export interface RecentError {
  at: number;
  folder: string | null;
  code: string;
  message: string;
}

export interface LiveStateEvents {
  /** A new sample (the page's server-sent events). */
  sample: [];
  parked: [folder: string, relPath: string, reason: string | null, attempts: number];
  paused: [folder: string, reason: string];
  resumed: [folder: string];
}

/** An error's code as OSS or Node gives it (AccessDenied, ECONNRESET), else its class name. */
function errorCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(code)) return code;
  const status = (err as { status?: unknown } | null)?.status;
  if (typeof status === 'number') return `HTTP${status}`;
  return err instanceof Error ? err.name : 'Error';
}

/** The OSS code in a parked file's recorded error ("... failed: InvalidArgument (HTTP 400): ..."), else Parked. */
function parkedCode(lastError: string | null): string {
  return /: ([A-Za-z][A-Za-z0-9]{1,63}) \(HTTP \d{3}\)/.exec(lastError ?? '')?.[1] ?? 'Parked';
}

export class LiveState extends EventEmitter<LiveStateEvents> {
  snapshot: StatusSnapshot;
  readonly history: ThroughputSample[] = [];
  readonly recentErrors: RecentError[] = [];
  readonly retriesByOperation = new Map<string, number>();
  readonly errorsByCode = new Map<string, number>();
  oldestQueuedAt: number | null = null;
  /** Bytes the server acknowledged since start (sampled: verified bytes plus the in-flight files' progress). */
  sentBytes = 0;
  private progressMark: number | undefined;
  private parkedSeen: Set<string> | undefined;
  private pausedSeen: Map<string, string> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly detach: () => void;

  constructor(
    /** The daemon sampled; /metrics reads its timetable, credentials and last cleanup, verify and reconcile times directly. */
    readonly daemon: Daemon,
    private readonly logger: Logger,
  ) {
    super();
    this.snapshot = this.read(Date.now());
    const onRetry = (e: RetryEvent): void => this.onRetry(e);
    const onFatal = (folder: string, err: Error): void => this.countError(folder, err);
    const onStoreFailed = (err: Error): void => this.countError(null, err);
    const onOperatorPause = (): void => this.sample();
    daemon.on('retry', onRetry).on('fatal', onFatal).on('storeFailed', onStoreFailed).on('operatorPause', onOperatorPause);
    for (const e of daemon.takeUnheardRetries()) this.onRetry(e);
    this.detach = () => {
      daemon.off('retry', onRetry).off('fatal', onFatal).off('storeFailed', onStoreFailed).off('operatorPause', onOperatorPause);
    };
    this.tick();
  }

  /**
   * The daemon's status in the shape of `oss-sync status --json`, read from its own store
   * connection. Unlike `status`, no integrity check (it reads the whole database: too slow every
   * few seconds); the database counts as healthy until a write fails.
   */
  private read(now: number): StatusSnapshot {
    const { store, storeFailure: failure } = this.daemon;
    const database = { exists: true, healthy: failure === undefined, problems: failure ? [failure.message] : [] };
    return storeSnapshot(store, database, this.daemon.currentConfig.folders, true, now);
  }

  private tick(): void {
    const started = performance.now();
    this.sample();
    if (this.closed) return;
    const cost = performance.now() - started;
    this.timer = setTimeout(() => this.tick(), Math.max(SAMPLE_MS, cost * SAMPLE_COST_FACTOR));
    this.timer.unref();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.detach();
  }

  /** Reads the daemon's state again; never throws (a failed read keeps the last sample). */
  sample(): void {
    if (this.daemon.storeFailure && this.parkedSeen !== undefined) {
      const database = { ...this.snapshot.database, healthy: false, problems: [this.daemon.storeFailure.message] };
      this.snapshot = { ...this.snapshot, database };
      this.emit('sample');
      return;
    }
    const now = Date.now();
    try {
      this.snapshot = this.read(now);
      this.oldestQueuedAt = this.daemon.store.report.oldestQueuedAt();
    } catch (err) {
      // The store closed under us (stopping) or failed: the daemon reports that itself.
      this.logger.debug('status sample failed', { error: err as Error });
      return;
    }
    this.trackThroughput(now);
    this.findParked();
    this.findPauses();
    this.emit('sample');
  }

  private trackThroughput(now: number): void {
    const progress = this.snapshot.totals.uploadedBytes + this.snapshot.uploading.reduce((n, f) => n + f.bytesDone, 0);
    // A re-queued file leaves the verified total (a negative step): that is not bytes un-sent, so it counts as 0.
    const delta = this.progressMark === undefined ? 0 : Math.max(0, progress - this.progressMark);
    this.progressMark = progress;
    this.sentBytes += delta;
    // Since the last sample (the first one's delta is 0 whatever the time).
    const seconds = Math.max(0.001, (now - (this.history.at(-1)?.at ?? now)) / 1000);
    this.history.push({ at: now, bytesPerSecond: Math.round(delta / seconds) });
    if (this.history.length > HISTORY_SAMPLES) this.history.splice(0, this.history.length - HISTORY_SAMPLES);
  }

  /** Parked files that were not parked at the last sample (the first sample only records them). */
  private findParked(): void {
    const parked = this.snapshot.problems.filter((p) => !p.retrying);
    const keys = new Set(parked.map((p) => `${p.folder}\0${p.relPath}`));
    if (this.parkedSeen !== undefined) {
      for (const p of parked) {
        if (this.parkedSeen.has(`${p.folder}\0${p.relPath}`)) continue;
        const message = `${p.relPath}: ${p.lastError ?? 'failed too often'}`;
        this.recordError(parkedCode(p.lastError), { at: Date.now(), folder: p.folder, code: 'Parked', message });
        this.emit('parked', p.folder, p.relPath, p.lastError, p.attempts);
      }
    }
    this.parkedSeen = keys;
  }

  private findPauses(): void {
    const paused = new Map(
      this.daemon
        .unsyncedFolders()
        .filter((u) => u.reason.startsWith('paused'))
        .map((u) => [u.folder, u.reason]),
    );
    if (this.pausedSeen !== undefined) {
      for (const [folder, reason] of paused) if (!this.pausedSeen.has(folder)) this.emit('paused', folder, reason);
      for (const folder of this.pausedSeen.keys()) if (!paused.has(folder)) this.emit('resumed', folder);
    }
    this.pausedSeen = paused;
  }

  /** Folders paused at the last sample, and why. */
  pausedFolders(): ReadonlyMap<string, string> {
    return this.pausedSeen ?? new Map();
  }

  private onRetry(e: RetryEvent): void {
    this.retriesByOperation.set(e.operation, (this.retriesByOperation.get(e.operation) ?? 0) + 1);
    this.countError(null, e.error, e.operation);
  }

  private countError(folder: string | null, err: unknown, operation?: string): void {
    const code = errorCode(err);
    const message = this.logger.redact(err instanceof Error ? err.message : String(err));
    this.recordError(code, { at: Date.now(), folder, code, message: operation ? `${operation}: ${message}` : message });
  }

  /** Counts the error under `code` and lists it first of the recent ones. */
  private recordError(code: string, error: RecentError): void {
    this.errorsByCode.set(code, (this.errorsByCode.get(code) ?? 0) + 1);
    this.recentErrors.unshift(error);
    if (this.recentErrors.length > RECENT_ERRORS) this.recentErrors.length = RECENT_ERRORS;
  }
}
