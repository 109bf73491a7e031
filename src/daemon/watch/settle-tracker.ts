import { EventEmitter } from 'node:events';
import { lstatSync } from 'node:fs';
import type { BigIntStats } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { SingleFlight } from '../../lib/single-flight.js';
import { reportError } from './report-error.js';
import { mayBeUndecodable, undecodableName, type WalkEntry } from './tree-walker.js';

/** A file that stopped changing: what to queue, with the fingerprint it had when it settled. */
export interface SettledFile extends WalkEntry {
  /** Never settled: still changing after liveAfterMs (a live log), reported to go up as it is. */
  live?: true;
}

export interface SettleTrackerOptions {
  /** Size and mtime must hold still this long after the latest report; default 2,000 ms. */
  settleMs?: number;
  /** Monotonic milliseconds; injectable for tests. */
  now?: () => number;
  /**
   * A file still changing this long after it was first reported is emitted anyway, as `live`, and
   * again each time this long passes while it keeps changing; undefined (the default): never.
   */
  liveAfterMs?: number;
}

export interface SettleTrackerEvents {
  settled: [file: SettledFile];
  /** Gone before it settled, or no longer a regular file. */
  removed: [relPath: string];
  error: [error: Error];
}

interface Pending {
  /** Latest report + settleMs (or, once deferred, the deferring lstat + settleMs). */
  dueAt: number;
  /** The lstat the one at dueAt must match; undefined until taken, just after the report. */
  stats: BigIntStats | undefined;
  /** When it began changing without settling (or was last emitted as live). */
  since: number;
}

/** lstat calls between turns of the event loop. */
const STATS_PER_TURN = 1_000;

function sameFile(a: BigIntStats, b: BigIntStats): boolean {
  return a.size === b.size && a.mtimeNs === b.mtimeNs && a.ino === b.ino && a.dev === b.dev;
}

/**
 * Holds back changed files until their size and mtime have been stable for the settle window, so
 * files still being written (cp, camera drops, `pg_dump > file`) are not uploaded half-written.
 *
 * track() sets dueAt = now + settleMs (a later report restarts it) and the file is lstat()ed on the
 * next turn of the event loop; at dueAt it is lstat()ed again: the same size, mtime, inode and device,
 * with no report in between, and it has settled; different stats start a new window from that lstat.
 * A first lstat taken more than half a window after the report (a blocked event loop) starts the
 * window from it instead, so the two lstats are always at least half a window apart.
 *
 * No timer per file and no polling tick: the pending Map is in due order (dueAt is (re)insertion time
 * + settleMs, and re-inserting moves an entry to the end), so one timeout armed for the first entry
 * wakes the tracker exactly when something is due, and a pass looks only at due entries.
 */
export class SettleTracker extends EventEmitter<SettleTrackerEvents> {
  /** Everything tracked and not settled yet, in dueAt order. */
  private readonly pending = new Map<string, Pending>();
  /** Reported, first lstat not taken yet (a subset of `pending`). */
  private readonly fresh = new Set<string>();
  private readonly settleMs: number;
  private readonly now: () => number;
  private readonly liveAfterMs: number;
  /** The one timeout, armed after each pass for the earliest dueAt. */
  private timer: NodeJS.Timeout | undefined;
  /** Takes the first lstat of fresh reports on the next turn. */
  private immediate: NodeJS.Immediate | undefined;
  /** Passes run one at a time; checkNow() during one asks for another after it. */
  private readonly passes = new SingleFlight(async () => {
    await this.statFresh();
    await this.settleDue();
  });
  private closed = false;

  constructor(
    private readonly root: string,
    options: SettleTrackerOptions = {},
  ) {
    super();
    this.settleMs = Math.max(0, options.settleMs ?? 2_000);
    this.now = options.now ?? (() => performance.now());
    this.liveAfterMs = options.liveAfterMs ?? Infinity;
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  /** The files still waiting to settle. */
  pendingPaths(): string[] {
    return [...this.pending.keys()];
  }

  /** A watcher saw relPath change: (re)start its settle window now. */
  track(relPath: string): void {
    if (this.closed) return;
    const now = this.now();
    const pending = this.pending.get(relPath);
    // Changing for liveAfterMs already: its window runs out as it is (then it is emitted as live),
    // or a file written to more often than the window would never come due.
    if (pending?.stats !== undefined && now - pending.since >= this.liveAfterMs) return;
    const since = pending?.since ?? now; // a report while it settles does not end its streak
    this.pending.delete(relPath); // re-inserted at the end: due last
    this.pending.set(relPath, { dueAt: now + this.settleMs, stats: undefined, since });
    this.fresh.add(relPath);
    this.wake();
  }

  forget(relPath: string): void {
    this.fresh.delete(relPath);
    this.pending.delete(relPath);
    if (this.pending.size === 0) this.disarm(); // otherwise a timer armed for it finds nothing due and re-arms
  }

  close(): void {
    this.closed = true;
    void this.passes.close();
    this.disarm();
    this.fresh.clear();
    this.pending.clear();
  }

  /**
   * Takes the first lstat of new reports and looks at everything due now; the timer calls this, tests
   * may too. Called while a pass runs, it resolves after one more pass.
   */
  checkNow(): Promise<void> {
    // Started a microtask later, so listeners of what a pass emits see it running.
    return this.passes.request().finally(() => this.wake());
  }

  private tick(): void {
    this.checkNow().catch((err: unknown) => reportError(this, err));
  }

  /** Makes sure a pass comes: next turn when first lstats are owed, else when the earliest entry is due. */
  private wake(): void {
    if (this.closed || this.passes.busy) return; // a running pass wakes us when it ends
    if (this.fresh.size > 0) {
      this.immediate ??= setImmediate(() => {
        this.immediate = undefined;
        this.tick();
      });
      return; // that pass arms the timer when it ends
    }
    const first = this.pending.values().next();
    if (first.done === true) {
      this.disarm();
      return;
    }
    clearTimeout(this.timer);
    // Rounded up: the timer may still fire a little early (libuv's cached loop time); the pass then
    // finds nothing due and wakes us again.
    this.timer = setTimeout(() => this.tick(), Math.max(0, Math.ceil(first.value.dueAt - this.now())));
  }

  private disarm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    this.immediate = undefined;
  }

  /** The first lstat after a report: what the one at dueAt is compared with. */
  private async statFresh(): Promise<void> {
    let stats = 0;
    for (const relPath of this.fresh) {
      this.fresh.delete(relPath);
      const pending = this.pending.get(relPath);
      if (pending === undefined || pending.stats !== undefined) continue; // forgotten, or taken by settleDue
      const current = this.stat(relPath);
      if (current === undefined) this.pending.delete(relPath);
      else {
        pending.stats = current;
        const at = this.now();
        if (at - (pending.dueAt - this.settleMs) > this.settleMs / 2) this.restart(relPath, current, at, pending.since);
      }
      if (++stats % STATS_PER_TURN === 0) await nextTurn();
    }
  }

  private async settleDue(): Promise<void> {
    let budget = this.pending.size; // entries re-inserted by this pass are due a window later
    let stats = 0;
    for (const [relPath, pending] of this.pending) {
      if (budget-- === 0 || pending.dueAt > this.now()) break; // in due order: the rest are not due either
      this.pending.delete(relPath);
      this.fresh.delete(relPath);
      const current = this.stat(relPath);
      if (current !== undefined) {
        const { size, mtimeNs, ino, dev } = current;
        const file = { relPath, size: Number(size), mtimeNs, ino, dev };
        if (pending.stats !== undefined && sameFile(pending.stats, current)) this.emit('settled', file);
        else {
          // No first lstat yet (settleMs 0), or still changing: a new window. One changing for
          // liveAfterMs (a live log) is reported as it is, and watched on (again after liveAfterMs).
          const at = this.now();
          const live = pending.stats !== undefined && at - pending.since >= this.liveAfterMs;
          this.restart(relPath, current, at, live ? at : pending.since);
          if (live) this.emit('settled', { ...file, live: true });
        }
      }
      if (++stats % STATS_PER_TURN === 0) await nextTurn();
    }
  }

  /** A new window from an lstat taken at `at` (now): due last, so the Map stays in due order. */
  private restart(relPath: string, stats: BigIntStats, at: number, since: number): void {
    this.pending.delete(relPath);
    this.pending.set(relPath, { dueAt: at + this.settleMs, stats, since });
  }

  /** The file's stats, or undefined after emitting `removed` (gone, or not a regular file any more). */
  private stat(relPath: string): BigIntStats | undefined {
    let stats: BigIntStats | undefined;
    try {
      stats = lstatSync(join(this.root, relPath), { bigint: true, throwIfNoEntry: false });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOTDIR') {
        reportError(this, err); // unreadable: the next reconcile walk reports it too
        return undefined;
      }
    }
    if (stats?.isFile()) return stats;
    if (stats === undefined && mayBeUndecodable(relPath)) {
      reportError(this, undecodableName(relPath)); // not gone: a name Node cannot open, so not silent
      return undefined;
    }
    this.emit('removed', relPath);
    return undefined;
  }
}
