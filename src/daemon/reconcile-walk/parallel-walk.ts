import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { PathFilter } from '../watch/path-filter.js';
import { TreeWalk, type WalkError } from '../watch/tree-walker.js';
import { WalkBatch } from './walk-batch.js';
import type { ReconcileWalk } from './reconcile-walk.js';
import type { StatJob, StatReply, StatRequest } from './walk-worker.js';

const WORKER_SCRIPT = new URL('./walk-worker.js', import.meta.url);
/** Paths per request to a stat thread. */
const DEFAULT_CHUNK = 1_000;
/**
 * Requests a stat thread may have queued: bounds memory (a few MB) and keeps every thread busy,
 * also while the caller loads the known keys after start().
 */
const MAX_QUEUED_PER_THREAD = 16;
/** Stat errors kept (the rest are counted), as for the in-thread walk. */
const MAX_ERRORS = 1_000;

/** Stat threads worth starting here: one per core, at most 4 (beyond that the disk is the limit); none on one core. */
export function walkerThreads(): number {
  const cores = availableParallelism();
  return cores < 2 ? 0 : Math.min(4, cores);
}

/** False where the compiled worker script is absent (sources run by a TypeScript test runner). */
export function parallelWalkAvailable(): boolean {
  return existsSync(fileURLToPath(WORKER_SCRIPT));
}

/**
 * A reconcile walk whose lstat calls, the expensive part of a walk, run in `threads` stat threads:
 * this thread reads the directories (cheap, and it knows the filter) and hands out the file paths
 * in chunks; the threads answer with ready-to-compare batches, so the walk takes less time than the
 * in-thread one even on 2 cores (bench/NOTES.md).
 *
 * Same contract as the in-thread walk: errors (directories and files, the first 1,000), errorCount
 * and rootFailed, complete once iteration has ended.
 */
export class ParallelWalk implements ReconcileWalk {
  private readonly dirs: TreeWalk;
  private readonly chunk: number;
  private readonly workers: Worker[];
  private readonly queued: number[];
  private readonly replies: StatReply[] = [];
  private readonly statErrors: WalkError[] = [];
  private statErrorCount = 0;
  private wake: (() => void) | undefined;
  private failure: Error | undefined;
  private paths: Generator<string> | undefined;
  private more = true;
  /** Every path handed out is answered for: this walk is never incomplete. */
  readonly incomplete = undefined;
  readonly name = 'threads';

  /** The threads start now, so they are up by the time the caller iterates. */
  constructor(root: string, filter: PathFilter, threads: number, options: { chunk?: number } = {}) {
    this.chunk = options.chunk ?? DEFAULT_CHUNK;
    this.dirs = new TreeWalk(root, filter, { batchSize: this.chunk });
    const job: StatJob = { base: root.endsWith('/') ? root.slice(0, -1) : root };
    this.queued = new Array<number>(threads).fill(0);
    this.workers = Array.from({ length: threads }, (_, index) => {
      // A stat thread holds one chunk at a time: a small heap keeps the daemon's RSS down.
      const worker = new Worker(WORKER_SCRIPT, {
        workerData: job,
        resourceLimits: { maxYoungGenerationSizeMb: 8, maxOldGenerationSizeMb: 64 },
      });
      worker.on('message', (reply: StatReply) => {
        this.queued[index]!--;
        this.replies.push(reply);
        this.wake?.();
      });
      worker.on('error', (err) => this.fail(err));
      worker.on('exit', (code) => {
        if (code !== 0) this.fail(new Error(`stat thread ${index} of ${root} exited with code ${code}`));
      });
      return worker;
    });
  }

  get errorCount(): number {
    return this.dirs.errorCount + this.statErrorCount;
  }

  get rootFailed(): boolean {
    return this.dirs.rootFailed;
  }

  errors(): WalkError[] {
    return [...this.dirs.errors(), ...this.statErrors].slice(0, MAX_ERRORS);
  }

  /**
   * Reads directories and hands out paths until every thread's queue is full, then returns: the
   * threads stat while the caller loads what it will compare against.
   */
  start(): void {
    this.fill(false);
  }

  close(): void {
    this.paths?.return(undefined); // closes the directory being read
    for (const w of this.workers) void w.terminate();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<WalkBatch> {
    try {
      for (;;) {
        if (this.failure) throw this.failure;
        this.fill(true);
        const reply = this.replies.shift();
        if (reply !== undefined) {
          this.keepErrors(reply.errors);
          if (reply.keys !== '') yield WalkBatch.decode(reply);
          continue;
        }
        if (!this.more && this.queued.every((n) => n === 0)) return;
        if (this.more && this.hasRoom()) {
          await nextTurn(); // let replies in between directory reads
          continue;
        }
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
      }
    } finally {
      this.close();
    }
  }

  /** Hands out chunks of paths while a thread has room (and, if asked, until a reply is waiting). */
  private fill(untilReply: boolean): void {
    this.paths ??= this.dirs.filePaths();
    while (this.more && this.hasRoom()) {
      const chunk: string[] = [];
      for (let next = this.paths.next(); ; next = this.paths.next()) {
        if (next.done) {
          this.more = false;
          break;
        }
        chunk.push(next.value);
        if (chunk.length === this.chunk) break;
      }
      if (chunk.length > 0) this.send(chunk);
      if (untilReply && this.replies.length > 0) return; // compare what is back before reading on
    }
  }

  private hasRoom(): boolean {
    return this.queued.some((n) => n < MAX_QUEUED_PER_THREAD);
  }

  /** To the thread with the shortest queue. */
  private send(chunk: string[]): void {
    const index = this.queued.indexOf(Math.min(...this.queued));
    this.queued[index]!++;
    this.workers[index]!.postMessage({ paths: chunk.join('\0') } satisfies StatRequest);
  }

  private keepErrors(errors: readonly WalkError[]): void {
    this.statErrorCount += errors.length;
    for (const e of errors) if (this.statErrors.length < MAX_ERRORS) this.statErrors.push(e);
  }

  private fail(err: Error): void {
    this.failure ??= err;
    this.wake?.();
  }
}
