import { existsSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FolderConfig } from '../config/index.js';
import type { Observation } from '../store/index.js';
import { coalesce } from '../lib/coalesce.js';
import type { Adoption } from './adoption.js';
import { failpointValue } from '../lib/failpoint.js';
import { DeleteGuard, type DeleteGuardOptions } from './delete-guard.js';
import { objectKey } from './object-key.js';
import { reconcileFolder, type ReconcileResult } from './reconciler.js';
import { judgeRemovals, type MissingFile } from './removal-verdict.js';
import type { WalkerChoice } from './reconcile-walk/reconcile-walk.js';
import { createFolderWatcher } from './watch/create-folder-watcher.js';
import type { FolderWatcher, WatchEvent } from './watch/folder-watcher.js';
import type { PathFilter } from './watch/path-filter.js';
import { SettleTracker, type SettledFile } from './watch/settle-tracker.js';

export interface FolderSyncOptions extends DeleteGuardOptions {
  rescanIntervalMs: number;
  /** What of the folder is backed up (folderFilter: its globs, the config's, never the state database). */
  filter: PathFilter;
  /** Something was queued or became deletable: the scheduler should look. */
  onWork: () => void;
  /** Whether the daemon should run a watcher (false for `once`). */
  watch: boolean;
  /** Where a state database that refused a write becomes fatal (see Daemon.onStoreError): event handlers have no caller to tell. */
  onStoreError: (err: unknown, otherwise?: () => void) => void;
  walker: WalkerChoice;
  /** The daemon is stopping: `once` stops waiting for files to settle. */
  stopSignal: AbortSignal;
  /** Files were forgotten or marked for deletion: their unfinished multipart uploads are orphans now. */
  onRemoved: () => void;
  /** A reconcile walk finished without error (the status page, metrics and the ping URL). */
  onReconciled?: () => void;
  /** The adoption of the transfer stack in force (a reload rebuilds it), used by the start-up walk. */
  adoption?: () => Adoption;
}

/**
 * Keeps one configured folder in step with the queue: a reconcile walk at start and on schedule,
 * then watcher events through the settle window into the queue. A vanished root (unmounted disk)
 * pauses the folder — it never deletes remote objects.
 */
export class FolderSync {
  private readonly deletes: DeleteGuard;
  private watcher: FolderWatcher | undefined;
  private settle: SettleTracker | undefined;
  private pendingSettled: Observation[] = [];
  /** Files still changing after the hold (live logs), to queue as they are. */
  private pendingLive: Observation[] = [];
  /** Settled files arriving in the same tick are written in one transaction. */
  private readonly scheduleFlush = coalesce(() => this.unattended(() => this.flush()));
  private reconciling: Promise<ReconcileResult | undefined> | undefined;
  private paused = false;
  private adopting = false;
  /** A removal seen while adopting: it may have found no row for a walked file adoption then recorded. */
  private removedWhileAdopting = false;
  private closed = false;
  /** Aborted by close(): a walk under way ends at its next batch instead of holding the close. */
  private readonly closing = new AbortController();
  /** Whether the walk running was asked for by more than rescans: only then is it logged at info and reported (ping, metrics). */
  private reconcileReported = false;
  /** What the last reconcile could not back up, and why; undefined when it missed nothing. */
  shortfall: string | undefined;
  /**
   * Files found missing whose disk may only be unmounted (see judgeRemovals): their rows and remote
   * objects are kept. Each reconcile judges them afresh, as its walk finds them missing again.
   */
  private readonly unmounted = new Set<string>();
  /** Under `run`, held files are judged again this soon too (a schedule may be hours away, or off). */
  private recheck: NodeJS.Timeout | undefined;

  constructor(
    readonly folder: FolderConfig,
    private readonly options: FolderSyncOptions,
  ) {
    this.deletes = new DeleteGuard(options);
  }

  get name(): string {
    return this.folder.name;
  }

  /** False while the folder's root is missing (or files are being adopted): its queue is not worked on. */
  get active(): boolean {
    return !this.paused && !this.closed && !this.adopting;
  }

  /**
   * Watch first, then walk: a change made while the walk runs is then seen by one or both (both is
   * harmless: observing a file twice queues it once). Walking first would miss changes to files
   * already walked before the watcher was up.
   */
  async start(): Promise<void> {
    const present = this.rootPresent();
    if (!present) this.pause('folder is missing (unmounted disk?)');
    // Watch even a missing root: the watcher reports when it appears (root-restored).
    if (this.options.watch) await this.startWatching();
    if (present && !this.closed) {
      // Adoption: the listing runs while the folder is walked, and the queue waits (inactive) until what
      // OSS already holds is recorded (listFolder() decides at once, before the walk records any file).
      const listing = this.options.adoption?.().listFolder(this.folder, this.options.stopSignal);
      this.adopting = listing !== undefined;
      try {
        await this.reconcile('start-up');
        if (listing) await this.options.adoption!().adoptQueued(this.folder);
      } finally {
        this.adopting = false;
      }
      // Invariant: a file deleted between adoption's read and its row's insert (the watcher's removal
      // found no row, and the insert recorded it backed up) is not left recorded: a walk judges again.
      if (this.removedWhileAdopting && !this.closed) {
        this.removedWhileAdopting = false;
        await this.reconcile('files removed during adoption');
      }
      this.options.onWork();
    }
  }

  /** A full walk against the store; concurrent calls share one walk. Never rejects: errors are logged. */
  reconcile(reason: string): Promise<ReconcileResult | undefined> {
    if (this.closed) return Promise.resolve(undefined); // asked for after a walk a close waits for: it would outlive the store
    this.reconcileReported ||= reason !== RESCAN;
    this.reconciling ??= this.doReconcile(reason)
      .catch((err: unknown) => {
        this.options.onStoreError(err, () => {
          this.shortfall = `the scan failed: ${(err as Error).message}`; // `once` must not call this folder done
          this.options.logger.error('reconcile failed; will try again at the next one', { folder: this.name, reason, error: err as Error });
        });
        return undefined;
      })
      .finally(() => {
        this.reconciling = undefined;
        this.reconcileReported = false;
      });
    return this.reconciling;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.closing.abort();
    clearTimeout(this.recheck);
    await this.reconciling?.catch(() => undefined);
    this.settle?.close();
    await this.watcher?.close();
    this.unattended(() => this.flush());
  }

  private async doReconcile(reason: string): Promise<ReconcileResult | undefined> {
    if (!this.rootPresent()) {
      this.pause('folder is missing (unmounted disk?)');
      return undefined;
    }
    // Test failpoint: the scan fails, not for the database (nothing outside can: unreadable directories are reported, not thrown).
    if (failpointValue('reconcile-fails') === this.name) throw new Error('failpoint reconcile-fails');
    const started = Date.now();
    // A file modified within the settle window may still be being written: it is queued held back.
    const settling = this.options.settleMs > 0;
    const unsettledAfterNs = settling ? BigInt(started - this.options.settleMs) * 1_000_000n : undefined;
    const holdUntilMs = started + HOLD_WINDOWS * this.options.settleMs;
    const result = await reconcileFolder(
      this.options.store,
      this.folder,
      this.options.filter,
      {
        walker: this.options.walker,
        unsettledAfterNs,
        holdUntilMs,
        adopt: this.adopting ? (walked) => this.options.adoption!().adoptWalked(this.folder, walked) : undefined,
        signal: AbortSignal.any([this.closing.signal, this.options.stopSignal]),
      },
      () => this.options.onWork(),
    );
    // Cut short by a stop, the walk saw part of the tree: it judges nothing (the next start walks again).
    if (this.closing.signal.aborted || this.options.stopSignal.aborted) return undefined;
    let stillChanging: string[] = [];
    if (this.options.watch) for (const relPath of result.unsettled) this.settleTracker().track(relPath);
    else if (result.unsettled.length > 0) stillChanging = await this.settleBeforeExit(result.unsettled);
    if (stillChanging.length > 0) {
      this.options.logger.warn('files still being written; not uploaded this run', {
        folder: this.name,
        files: stillChanging.length,
        first: stillChanging.slice(0, 5),
      });
    }
    // This walk's verdict replaces the last: what it did not find missing is back (or was deleted for sure).
    this.unmounted.clear();
    if (result.missing.length > 0) this.applyRemovals(result.missing);
    const missing = new Set(result.missing);
    this.deletes.present(this.name, (relPath) => !missing.has(relPath));
    this.shortfall = shortfallOf(result, {
      stillChanging,
      waitedMs: ONCE_SETTLE_WINDOWS * this.options.settleMs,
      unmounted: [...this.unmounted],
    });
    if (result.excluded.length > 0) this.options.store.queue.forget(this.name, result.excluded);
    if (result.suspectEmpty) {
      this.options.logger.warn('folder is empty but files were backed up from it (unmounted disk?); nothing is treated as deleted', {
        folder: this.name,
        path: this.folder.path,
      });
    }
    // A rescan (every rescan_interval) says what it found at debug only, as its walks are routine.
    const reported = this.reconcileReported;
    for (const e of result.errors)
      this.options.logger[reported ? 'warn' : 'debug']('cannot read path during scan', {
        folder: this.name,
        path: e.relPath,
        error: e.message,
      });
    this.options.logger[reported ? 'info' : 'debug']('reconciled folder', {
      folder: this.name,
      reason,
      scanned: result.scanned,
      queued: result.queued,
      missing: result.missing.length,
      unmounted: this.unmounted.size,
      settling: result.unsettled.length,
      walk: result.walk,
      ms: Date.now() - started,
    });
    if (result.queued > 0 || result.missing.length > 0) this.options.onWork();
    if (reported) this.options.onReconciled?.();
    return result;
  }

  /** The folder's settle window: changed files wait here until they stop changing. */
  private settleTracker(): SettleTracker {
    if (this.settle) return this.settle;
    // In `run`, a file that never settles is reported as it is after the hold (see README).
    const liveAfterMs = this.options.watch && this.options.settleMs > 0 ? HOLD_WINDOWS * this.options.settleMs : undefined;
    const settle = new SettleTracker(this.folder.path, { settleMs: this.options.settleMs, ...(liveAfterMs ? { liveAfterMs } : {}) });
    settle.on('settled', (file: SettledFile) => this.enqueueSettled(file));
    settle.on('removed', (relPath: string) => this.unattended(() => this.applyRemovals([relPath])));
    settle.on('error', (err: Error) => this.options.logger.warn('cannot stat changed file', { folder: this.name, error: err }));
    this.settle = settle;
    return settle;
  }

  /**
   * `once` has no watcher: it waits here for the files its walk found still being written, for at most
   * ONCE_SETTLE_WINDOWS windows. Returns those that never settled (parked: a half-written file is no backup).
   */
  private async settleBeforeExit(relPaths: string[]): Promise<string[]> {
    const settle = this.settleTracker();
    for (const relPath of relPaths) settle.track(relPath);
    const deadline = performance.now() + ONCE_SETTLE_WINDOWS * this.options.settleMs; // monotonic: a clock step neither cuts nor stretches it
    const stopping = (): boolean => this.closed || this.options.stopSignal.aborted;
    while (settle.pendingCount > 0 && performance.now() < deadline && !stopping()) await sleep(Math.min(100, this.options.settleMs));
    const unsettled = settle.pendingPaths();
    for (const relPath of unsettled) settle.forget(relPath);
    if (stopping()) return []; // held back in the queue, for the next run to settle
    this.unattended(() => {
      this.flush(); // settled files are due before `once` can judge it is done
      this.options.store.queue.park(this.name, unsettled, 'still being written when `once` stopped waiting; the next run takes it');
    });
    return unsettled;
  }

  private async startWatching(): Promise<void> {
    // 'auto' picks a backend by tree size: what the store knew last time, else the watcher counts.
    const known = this.options.store.queue.countFor(this.name);
    this.settleTracker();
    // Failpoint watch-limit:ENOSPC: the watcher fails as the kernel would (the real limits are machine-wide: not for a test to lower).
    const limit = failpointValue('watch-limit');
    const watcher = await createFolderWatcher(this.folder.path, {
      backend: this.folder.watcher === 'poll' ? 'rescan' : this.folder.watcher,
      filter: this.options.filter,
      ...(known > 0 ? { counts: { files: known, dirs: 0 } } : {}),
      rescanIntervalMs: this.options.rescanIntervalMs,
      ...(limit === 'ENOSPC' || limit === 'EMFILE' ? { simulateLimit: { code: limit, at: 'start' as const } } : {}),
    });
    // Closed while the watcher was starting (a reload or stop came first): it must not outlive us.
    if (this.closed) {
      await watcher.close();
      return;
    }
    this.watcher = watcher;
    watcher.on('batch', (events: WatchEvent[]) => this.unattended(() => this.onEvents(events)));
    watcher.on('degraded', (message: string) => this.unattended(() => this.degraded(message)));
    watcher.on('ready', (backend) => {
      // A fallback, a restored root or a rescan's period: events may have been missed. A rescan waits
      // while adoption records the start-up walk (that walk's files are adoption's until then).
      if (this.paused || (backend === 'rescan' && this.adopting)) return;
      if (backend === 'rescan') void this.reconcile(RESCAN);
      // A walk under way may have passed what was missed (it does not join that walk): one more after it.
      else void (this.reconciling ?? Promise.resolve()).then(() => this.reconcile('watcher restarted'));
    });
    watcher.on('root-missing', () => this.unattended(() => this.pause('folder vanished (unmounted disk?)')));
    watcher.on('root-restored', () => this.unattended(() => this.resume()));
    watcher.on('error', (err: Error) => this.options.logger.warn('watcher error', { folder: this.name, error: err }));
    // A fallback while starting happened before we listened.
    if (watcher.degraded) this.degraded(watcher.degraded);
    else this.recordHealth();
    this.options.logger.info('watching folder', { folder: this.name, path: this.folder.path, backend: watcher.backend });
  }

  /** Logged once per fallback, with the fix; `status` shows it until the daemon restarts. */
  private degraded(message: string): void {
    this.options.logger.warn('watcher degraded; rescanning the folder periodically instead', { folder: this.name, reason: message });
    this.options.store.daemon.setFolderHealth(this.name, this.folder.path, 'rescanning', message);
  }

  private onEvents(events: WatchEvent[]): void {
    const removed: string[] = [];
    for (const e of events) {
      if (e.kind === 'changed') {
        this.unmounted.delete(e.relPath); // back (remounted), or a new file by that name
        this.settle?.track(e.relPath);
      } else {
        this.removedWhileAdopting ||= this.adopting;
        if (e.kind === 'removed') removed.push(e.relPath);
        else removed.push(...this.options.store.queue.pathsUnder(this.name, e.relPath));
      }
    }
    if (removed.length > 0) this.applyRemovals(removed);
  }

  private enqueueSettled({ live, ...file }: SettledFile): void {
    (live ? this.pendingLive : this.pendingSettled).push({
      ...file,
      bucket: this.folder.bucket,
      key: objectKey(this.folder.prefix, file.relPath),
    });
    this.scheduleFlush();
  }

  /** Work run by an event or a timer: with no caller to tell, its store errors go to onStoreError, not to a crash. */
  private unattended(work: () => void): void {
    try {
      work();
    } catch (err) {
      this.options.onStoreError(err);
    }
  }

  private flush(): void {
    if (this.pendingSettled.length === 0 && this.pendingLive.length === 0) return;
    const batch = this.pendingSettled;
    const live = this.pendingLive;
    this.pendingSettled = [];
    this.pendingLive = [];
    // A live file already queued or uploading keeps its row (and its back-off): its tries read it as it is.
    if (live.length > 0) this.options.store.queue.observe(this.name, live, Date.now(), { keepPending: true });
    this.options.store.queue.observe(this.name, batch);
    // A file a walk queued held back has settled now: it is due (observe leaves an unchanged row as it is).
    const settled = batch.map((o) => o.relPath);
    this.options.store.queue.release(this.name, settled);
    this.options.onWork();
  }

  /**
   * Applies the folder's delete policy to paths found missing from disk, by whichever watcher, walk
   * or worker. Invariant: nothing is deleted remotely or forgotten here unless judgeRemovals() finds
   * it gone on the disk it was recorded on; a file whose disk may just be unmounted is held instead.
   */
  private applyRemovals(relPaths: string[]): void {
    this.removedWhileAdopting ||= this.adopting;
    if (this.paused || !this.rootPresent()) return; // a vanished root is not a deletion
    const missing: MissingFile[] = [];
    for (const relPath of relPaths) {
      const row = this.options.store.queue.find(this.name, relPath);
      if (row !== undefined && row.state !== 'deleting') missing.push({ relPath, dev: row.dev });
    }
    this.applyVerdicts(missing);
  }

  private applyVerdicts(missing: MissingFile[]): string[] {
    if (missing.length === 0) return [];
    const sample = (dev: bigint) => this.options.store.queue.sampleOnDevice(this.name, dev, RENUMBER_SAMPLE);
    const { gone, unmounted, present } = judgeRemovals(this.folder.path, missing, sample);
    for (const relPath of present) this.unmounted.delete(relPath); // back: the disk is mounted again
    const newlyHeld = unmounted.filter((relPath) => !this.unmounted.has(relPath));
    for (const relPath of newlyHeld) this.unmounted.add(relPath);
    if (newlyHeld.length > 0) {
      this.options.logger.warn(
        'files not treated as deleted: their directory is gone or on another disk now (unmounted disk?); judged again later',
        {
          folder: this.name,
          files: newlyHeld.length,
          first: newlyHeld.slice(0, 5),
        },
      );
    }
    if (this.unmounted.size > 0 && this.options.watch && this.recheck === undefined && !this.closed) {
      this.recheck = setTimeout(() => {
        this.recheck = undefined;
        this.unattended(() => this.applyRemovals([...this.unmounted]));
      }, UNMOUNT_RECHECK_MS);
      this.recheck.unref();
    }
    if (gone.length === 0) return gone;
    for (const relPath of gone) this.unmounted.delete(relPath);
    if (this.deletes.apply(this.folder, gone)) {
      this.options.onWork();
      this.options.onRemoved();
    }
    return gone;
  }

  /**
   * The worker found a file gone: deleted only if judgeRemovals() says so, else (an unmounted disk?)
   * the next walk judges. Returns whether the delete policy was applied.
   */
  fileGone(relPath: string, fileDev: bigint): boolean {
    if (this.paused || !this.rootPresent()) return false;
    return this.applyVerdicts([{ relPath, dev: fileDev }]).length > 0;
  }

  private pause(note: string): void {
    if (!this.paused) this.options.logger.warn('folder paused', { folder: this.name, path: this.folder.path, reason: note });
    this.paused = true;
    this.options.store.daemon.setFolderHealth(this.name, this.folder.path, 'paused', note);
  }

  private resume(): void {
    if (!this.paused || this.closed) return;
    this.paused = false;
    this.options.logger.info('folder is back; resuming', { folder: this.name });
    this.recordHealth();
    void this.reconcile('folder reappeared');
  }

  /** Records what the folder is doing now for `status`, e.g. once a pause the daemon imposed is over. */
  recordHealth(): void {
    if (this.paused || this.closed) return; // its own pause note stands
    const mode = this.watcher?.degraded ? 'rescanning' : 'watching';
    this.options.store.daemon.setFolderHealth(this.name, this.folder.path, mode, this.watcher ? `${this.watcher.backend} watcher` : null);
  }

  private rootPresent(): boolean {
    try {
      return existsSync(this.folder.path) && statSync(this.folder.path).isDirectory();
    } catch {
      return false;
    }
  }
}

/** Why a reconcile left part of the folder unsynced (for `once`'s exit status), or undefined. */
function shortfallOf(
  result: ReconcileResult,
  { stillChanging, waitedMs, unmounted }: { stillChanging: string[]; waitedMs: number; unmounted: string[] },
): string | undefined {
  const parts: string[] = [];
  if (result.suspectEmpty)
    parts.push('the folder is empty, but files were backed up from it (unmounted disk?); nothing was treated as deleted');
  if (unmounted.length > 0) {
    parts.push(
      `${unmounted.length} backed-up file(s) missing from a directory that is gone or on another disk now (unmounted disk?); not treated as deleted: ${firstFew(unmounted)}`,
    );
  }
  if (result.errors.length > 0) {
    const paths = result.errors.map((e) => `${e.relPath === '' ? '.' : e.relPath} (${e.message.split(':')[0]})`);
    parts.push(`could not read ${result.errorCount} path(s) during the scan: ${firstFew(paths)}`);
  }
  if (stillChanging.length > 0) {
    parts.push(`${stillChanging.length} file(s) still being written after ${waitedMs / 1000} s, not uploaded: ${firstFew(stillChanging)}`);
  }
  return parts.length > 0 ? parts.join('; ') : undefined;
}

function firstFew(items: readonly string[]): string {
  return `${items.slice(0, 3).join(', ')}${items.length > 3 ? ', ...' : ''}`;
}

/** The reconcile reason of the rescan backend's periodic walks (`watcher: poll`, or after a fallback). */
const RESCAN = 'rescan';
/** How often `run` judges held ("unmounted?") files again, besides at each reconcile. */
const UNMOUNT_RECHECK_MS = 60_000;
/** Files recorded on a device that are looked for to tell it renumbered (remounted) from unmounted. */
const RENUMBER_SAMPLE = 32;
/** `once` waits this many settle windows, at most, for files still being written. */
const ONCE_SETTLE_WINDOWS = 10;
/** A file a walk found changing is held back this many windows at most (`once` gives up sooner). */
const HOLD_WINDOWS = 15;
