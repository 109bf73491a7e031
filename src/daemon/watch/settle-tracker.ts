import { EventEmitter } from 'node:events';
import { lstatSync } from 'node:fs';
import type { BigIntStats } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { reportError } from './report-error.js';

/** A file that stopped changing: what to queue, with the fingerprint it had when it settled. */
export interface SettledFile {
  relPath: string;
  size: number;
  /** Modification time in nanoseconds since the epoch. */
  mtimeNs: bigint;
  ino: bigint;
  dev: bigint;
}

export interface SettleTrackerOptions {
  /** Size and mtime must hold still this long; default 2,000 ms. */
  settleMs?: number;
  /** How often due files are looked at; default settleMs / 4, within 50-500 ms. */
  tickMs?: number;
  /** Monotonic milliseconds; injectable for tests. */
  now?: () => number;
  /** lstat calls between turns of the event loop; default 1,000. */
  statsPerTurn?: number;
}

export interface SettleTrackerEvents {
  settled: [file: SettledFile];
  /** Gone before it settled, or no longer a regular file. */
  removed: [relPath: string];
  error: [error: Error];
}

interface Pending {
  stats: BigIntStats;
  dueAt: number;
  /** A change was reported after `stats` was taken: not settled, whatever the next stat says. */
  touched: boolean;
}

function sameFile(a: BigIntStats, b: BigIntStats): boolean {
  return a.size === b.size && a.mtimeNs === b.mtimeNs && a.ino === b.ino && a.dev === b.dev;
}

/**
 * Holds back changed files until their size and mtime have been stable for the settle window, so
 * files still being written (cp, camera drops, `pg_dump > file`) are not uploaded half-written.
 *
 * Cheap for 100,000 pending files: one interval timer (running only while something is pending), no
 * timer per file, and the waiting Map is kept in due order (every entry waits the same settleMs, so
 * re-inserting at the end keeps it sorted): a tick only looks at the entries that are due.
 */
export class SettleTracker extends EventEmitter<SettleTrackerEvents> {
  /** Reported but not stat()ed yet. */
  private readonly fresh = new Set<string>();
  /** Stat()ed once, waiting for the second look; in dueAt order. */
  private readonly waiting = new Map<string, Pending>();
  private readonly settleMs: number;
  private readonly tickMs: number;
  private readonly now: () => number;
  private readonly statsPerTurn: number;
  private timer: NodeJS.Timeout | undefined;
  private checking = false;
  private closed = false;

  constructor(
    private readonly root: string,
    options: SettleTrackerOptions = {},
  ) {
    super();
    this.settleMs = options.settleMs ?? 2_000;
    this.tickMs = options.tickMs ?? Math.min(500, Math.max(50, this.settleMs / 4));
    this.now = options.now ?? (() => performance.now());
    this.statsPerTurn = options.statsPerTurn ?? 1_000;
  }

  get pendingCount(): number {
    return this.fresh.size + this.waiting.size;
  }

  /** A watcher saw relPath change: (re)start its settle window. */
  track(relPath: string): void {
    if (this.closed) return;
    const pending = this.waiting.get(relPath);
    if (pending !== undefined) pending.touched = true;
    else this.fresh.add(relPath);
    this.timer ??= setInterval(() => this.tick(), this.tickMs);
  }

  forget(relPath: string): void {
    this.fresh.delete(relPath);
    this.waiting.delete(relPath);
  }

  close(): void {
    this.closed = true;
    clearInterval(this.timer);
    this.timer = undefined;
    this.fresh.clear();
    this.waiting.clear();
  }

  /** Looks at everything due now; the timer calls this, tests may too. */
  async checkNow(): Promise<void> {
    if (this.checking) return; // the running pass sees what was added meanwhile, or the next tick does
    this.checking = true;
    try {
      await this.statFresh();
      await this.settleDue();
    } finally {
      this.checking = false;
      if (this.pendingCount === 0) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
    }
  }

  private tick(): void {
    this.checkNow().catch((err: unknown) => reportError(this, err));
  }

  private async statFresh(): Promise<void> {
    let stats = 0;
    for (const relPath of this.fresh) {
      this.fresh.delete(relPath);
      const current = this.stat(relPath);
      if (current !== undefined) this.waiting.set(relPath, { stats: current, dueAt: this.now() + this.settleMs, touched: false });
      if (++stats % this.statsPerTurn === 0) await nextTurn();
    }
  }

  private async settleDue(): Promise<void> {
    const now = this.now();
    let stats = 0;
    for (const [relPath, pending] of this.waiting) {
      if (pending.dueAt > now) break; // in due order: the rest are not due either
      this.waiting.delete(relPath);
      const current = this.stat(relPath);
      if (current === undefined) continue;
      if (pending.touched || !sameFile(pending.stats, current)) {
        this.waiting.set(relPath, { stats: current, dueAt: this.now() + this.settleMs, touched: false });
      } else {
        const { size, mtimeNs, ino, dev } = current;
        this.emit('settled', { relPath, size: Number(size), mtimeNs, ino, dev });
      }
      if (++stats % this.statsPerTurn === 0) await nextTurn();
    }
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
    this.emit('removed', relPath);
    return undefined;
  }
}
