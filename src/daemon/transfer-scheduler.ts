import { EventEmitter, setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FileQueue, FileRow } from '../store/index.js';
import { coalesce } from '../lib/coalesce.js';
import { UNBUDGETED_PUT_BYTES, untilAborted, type MemoryBudget } from '../uploader/index.js';
import { FinishPace } from './finish-pace.js';

/**
 * What a run hands back once the object is verified: the slot is freed then, while the row stays the
 * runner's until `committed` (its group commit, see VerifiedBatch) settles. A run resolving to nothing is done.
 */
export interface TaskDone {
  committed: Promise<void>;
}

/** At most this many small files claimed ahead per slot (see TransferScheduler.ready). */
const MAX_CLAIM_AHEAD_PER_SLOT = 8;

export interface SchedulerOptions {
  /** Files transferred at once (large ones: at most this many, less one while small files may run). */
  slots: number;
  /** Small files (below largeFileBytes) in flight at once, default `slots`: a small file's time is mostly its round trip. */
  smallSlots?: number;
  /** Files at least this big are "large"; they may hold at most slots - 1 slots, so small files never starve. */
  largeFileBytes: number;
  /**
   * concurrency.memory. The uploader pays for a small file it reads whole above UNBUDGETED_PUT_BYTES;
   * below, the scheduler pays its size while it holds its slot, so small files in flight fit the budget.
   */
  memory?: MemoryBudget;
  /** Folders whose queued files may be claimed now (paused and removed folders are left out). */
  activeFolders: () => readonly string[];
  run: (row: FileRow, signal: AbortSignal) => Promise<TaskDone | void>;
}

interface SchedulerEvents {
  /** Nothing running and nothing pending in the active folders. */
  idle: [];
  error: [Error];
  /** The wall clock stepped by stepMs (positive: forward); `moved` waiting rows were rescheduled. */
  clockStep: [stepMs: number, moved: number];
}

/**
 * Pulls due rows from the durable queue and runs them with bounded concurrency. The queue is the
 * source of truth: the scheduler holds only the rows it is running, so a crash loses nothing.
 */
export class TransferScheduler extends EventEmitter<SchedulerEvents> {
  private readonly running = new Map<number, Running>();
  /**
   * Small files claimed ahead of a free slot (already 'uploading' in the queue): one write transaction
   * claims a handful instead of one per file. They start within milliseconds; a stop puts them back.
   */
  private readonly ready: FileRow[] = [];
  private readonly pace = new FinishPace();
  private readonly abort = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private readonly schedulePump = coalesce(() => this.pump());
  /** A claimed small file did not fit the memory budget last pass: claim no more until it starts. */
  private waitingForMemory = false;
  /** Files in flight at once, small ones included. */
  private readonly totalSlots: number;
  /** Large files in flight at once: at most `slots`, and one slot always left to small files. */
  private readonly largeSlots: number;
  /** performance.now() of the last pump: the daemon's watchdog tells a stalled scheduler by it. */
  lastPumpAt = performance.now();
  private stopping = false;
  /** Wall and monotonic clocks at the last look, to tell a step of the wall clock (undefined: not looked yet). */
  private clocks: { wall: number; mono: number } | undefined;

  constructor(
    private readonly queue: FileQueue,
    private readonly options: SchedulerOptions,
  ) {
    super();
    this.totalSlots = Math.max(options.slots, options.smallSlots ?? options.slots);
    this.largeSlots = Math.max(1, Math.min(options.slots, this.totalSlots - 1));
    // Every running transfer listens for the stop: slots plus those waiting for their group commit,
    // more than Node's default of 10 (which would print a leak warning to an operator's log).
    setMaxListeners(0, this.abort.signal);
  }

  /** New work may be due (or the first look at the queue): look soon, coalesced into one pass per tick. */
  kick(): void {
    if (!this.stopping) this.schedulePump();
  }

  /** Transfers holding a slot: running, minus those only waiting for their commit. */
  private get busySlots(): number {
    let busy = 0;
    for (const r of this.running.values()) if (!r.slotReleased) busy++;
    return busy;
  }

  /**
   * Stops taking work and tells running transfers to stop starting new parts; waits up to graceMs
   * for them. Returns true if every transfer settled in time (the rest resume at the next start).
   */
  async stop(graceMs: number): Promise<boolean> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    this.abort.abort();
    this.release(this.ready.splice(0));
    const all = Promise.allSettled([...this.running.values()].map((r) => r.done)).then(() => true);
    const grace = new AbortController();
    try {
      return await Promise.race([all, sleep(graceMs, false, { signal: grace.signal })]);
    } finally {
      grace.abort(); // the timer goes with it: settled in time, nothing may wait out the grace
    }
  }

  private pump(): void {
    if (this.stopping) return;
    this.lastPumpAt = performance.now();
    try {
      this.followWallClock();
      const folders = this.options.activeFolders();
      const rows = this.claim(folders);
      let started = 0;
      while (started < rows.length && this.launch(rows[started]!)) started++;
      // Those that did not fit the memory budget start first once bytes are free (a slot's release pumps).
      this.waitingForMemory = started < rows.length;
      this.ready.unshift(...rows.slice(started));
      if (this.running.size === 0 && this.queue.pendingCount(folders) === 0) this.emit('idle');
      this.armTimer();
    } catch (err) {
      this.emit('error', err as Error);
      this.armTimer();
    }
  }

  /**
   * Waits are stored as wall-clock times (they survive a restart), which a clock step would stretch or
   * cut short. A pass whose wall clock moved more than CLOCK_STEP_MS off the monotonic one moves the
   * waiting rows with the step (FileQueue.reschedule); the first pass, which cannot know what happened
   * while nothing ran, only cuts every wait to at most its own length from now.
   */
  private followWallClock(): void {
    const wall = Date.now();
    const mono = performance.now();
    const last = this.clocks;
    if (!last) this.queue.reschedule(0, wall);
    else {
      const step = wall - last.wall - (mono - last.mono);
      if (Math.abs(step) > CLOCK_STEP_MS) this.emit('clockStep', step, this.queue.reschedule(step, wall));
    }
    this.clocks = { wall, mono }; // only once rescheduled: a store error has the next pass try again
  }

  private claim(folders: readonly string[]): FileRow[] {
    const free = Math.max(0, this.totalSlots - this.busySlots);
    // First, so claimed-ahead rows of paused or removed folders go back to the queue even when no slot is free.
    const fromReady = this.takeReady(free, folders);
    const need = free - fromReady.length;
    if (need === 0 || folders.length === 0 || this.waitingForMemory) return fromReady;
    const large = this.options.largeFileBytes;
    const largeRunning = [...this.running.values()].filter((r) => !r.slotReleased && this.isLarge(r.row)).length;
    const largeRoom = this.largeSlots - largeRunning;
    const exclude = [...this.running.keys(), ...fromReady.map((r) => r.id)]; // e.g. a file re-created while its mirror delete runs
    let rows: FileRow[];
    // Room for as many large files as free slots: the lanes cannot conflict, one query in queue order.
    if (largeRoom >= need) rows = this.queue.claimDue(need, { folders, exclude });
    else {
      const bigRows = this.queue.claimDue(Math.min(need, largeRoom), { sizeAtLeast: large, folders, exclude });
      rows = [...this.queue.claimDue(need - bigRows.length, { sizeBelow: large, folders, exclude }), ...bigRows];
    }
    // A busy queue of small files: claim the next few now, in the same kind of transaction.
    if (rows.length === need) {
      exclude.push(...rows.map((r) => r.id));
      this.ready.push(...this.queue.claimDue(this.claimAhead(), { sizeBelow: large, folders, exclude }));
    }
    return [...fromReady, ...rows];
  }

  /** Small files to claim ahead: as many as finished in the last 50-100 ms (none waits long as uploading), at least one per slot. */
  private claimAhead(): number {
    const slots = this.totalSlots;
    return Math.min(slots * MAX_CLAIM_AHEAD_PER_SLOT, Math.max(slots, this.pace.recent()));
  }

  /** Up to `n` claimed-ahead rows; those of folders no longer active go back to the queue. */
  private takeReady(n: number, folders: readonly string[]): FileRow[] {
    const active = new Set(folders);
    const gone = this.ready.filter((r) => !active.has(r.folder));
    if (gone.length > 0) {
      this.ready.splice(0, this.ready.length, ...this.ready.filter((r) => active.has(r.folder)));
      this.release(gone);
    }
    return this.ready.splice(0, n);
  }

  /** Claimed rows that will not run now: queued again. If the store refuses (an error), the next start re-queues them. */
  private release(rows: readonly FileRow[]): void {
    try {
      for (const row of rows) {
        if (row.state === 'uploading') this.queue.requeue(row.id, null);
        else this.queue.releaseDeleteLease(row.id);
      }
    } catch (err) {
      this.emit('error', err as Error);
    }
  }

  private isLarge(row: FileRow): boolean {
    return row.size >= this.options.largeFileBytes && row.state === 'uploading';
  }

  /**
   * Starts the row, unless it is a small file whose bytes the memory budget cannot give now (false).
   * The slot is freed when the run resolves; the row stays running until its commit has settled too.
   */
  private launch(row: FileRow): boolean {
    const memory = this.options.memory;
    // Invariant: only what the uploader reads without paying (a PutObject's whole file up to
    // UNBUDGETED_PUT_BYTES), so no upload waits for bytes the scheduler holds for it: no deadlock.
    const unpaid = row.state === 'uploading' && !this.isLarge(row) && row.size <= UNBUDGETED_PUT_BYTES;
    const bytes = memory && unpaid ? Math.min(row.size, memory.limitBytes) : 0;
    if (bytes > 0 && !memory!.tryAcquire(bytes)) return false;
    // Its own signal, fired by stop() or cancelFolders(): a removed folder's transfers stop without the others.
    const cancel = new AbortController();
    const onStop = (): void => cancel.abort(this.abort.signal.reason);
    this.abort.signal.addEventListener('abort', onStop, { once: true });
    const entry: Running = { row, cancel, done: Promise.resolve(), slotReleased: false };
    /** Invariant: runs once per row, when its slot frees; only then are its bytes given back. */
    const freeSlot = (verified: boolean): void => {
      if (entry.slotReleased) return;
      entry.slotReleased = true;
      if (bytes > 0) memory!.release(bytes);
      // Only verified objects set the pace claim-ahead follows (fast failures must not grow it).
      if (verified) this.pace.record();
      this.next();
    };
    this.running.set(row.id, entry);
    entry.done = this.options
      .run(row, cancel.signal)
      .then((result) => {
        if (!result) return undefined;
        freeSlot(true);
        return result.committed;
      })
      .catch((err: unknown) => {
        this.emit('error', err instanceof Error ? err : new Error(String(err)));
      })
      .finally(() => {
        this.abort.signal.removeEventListener('abort', onStop);
        this.running.delete(row.id);
        if (entry.slotReleased)
          this.kick(); // idle is judged once nothing runs
        else freeSlot(false); // failed, put back or a remote delete
      });
    return true;
  }

  /**
   * Cancels the folders' transfers and waits until each has settled (the worker re-queues an unfinished
   * upload, its record kept). False if `stopSignal` fires first: stop() then waits for them.
   */
  async cancelFolders(folders: ReadonlySet<string>, stopSignal: AbortSignal, onWaiting: (transfers: number) => void): Promise<boolean> {
    const running = [...this.running.values()].filter((r) => folders.has(r.row.folder));
    if (running.length === 0) return true;
    for (const r of running) r.cancel.abort(new Error('folder removed from the config'));
    onWaiting(running.length);
    // Only the stop rejects: allSettled never does.
    return untilAborted(Promise.allSettled(running.map((r) => r.done)), stopSignal).then(
      () => true,
      () => false,
    );
  }

  /** A slot came free. A claimed-ahead file waits: start it now rather than a loop turn later. */
  private next(): void {
    if (this.ready.length > 0 && !this.stopping) this.pump();
    else this.kick();
  }

  /** Sleeps until the next back-off expires (or IDLE_POLL_MS), unless kick() comes first. */
  private armTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    // Every slot busy: the next finish kicks, so there is no due time worth a query.
    const due = this.busySlots >= this.totalSlots ? undefined : this.queue.nextDueAt(this.options.activeFolders());
    const wait = due === undefined ? IDLE_POLL_MS : Math.min(IDLE_POLL_MS, Math.max(50, due - Date.now()));
    // Not unref'd: in `once` mode this timer is what keeps the process alive through a back-off.
    this.timer = setTimeout(() => this.kick(), wait);
  }
}

interface Running {
  row: FileRow;
  cancel: AbortController;
  /** Settles once the row is no longer this scheduler's: its run and its commit are over. */
  done: Promise<void>;
  /** Its slot (and memory) went to the next file: its network work is over. */
  slotReleased: boolean;
}

/** A wall clock moving this much more or less than the monotonic one between two passes has been stepped (NTP slews far less). */
const CLOCK_STEP_MS = 1_000;
/** Longest sleep when nothing is due: another process (`oss-sync retry`) queues work only in the database, and cannot kick(). */
const IDLE_POLL_MS = 2_000;
