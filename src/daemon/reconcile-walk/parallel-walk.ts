import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { PathFilterOptions } from '../watch/path-filter.js';
import type { WalkError } from '../watch/tree-walker.js';
import { WalkBatch } from './walk-batch.js';
import type { ReconcileWalk } from './reconcile-walk.js';
import type { WalkJob, WalkerMessage } from './walk-worker.js';

const WORKER_SCRIPT = new URL('./walk-worker.js', import.meta.url);
/** Batches a walker thread may have waiting for the reader before it pauses. */
const MAX_IN_FLIGHT = 8;

/** Walker threads worth starting here: one per core, at most 4 (beyond that the disk is the limit). */
export function walkerThreads(): number {
  return Math.min(4, availableParallelism());
}

/** False where the compiled worker script is absent (sources run by a TypeScript test runner). */
export function parallelWalkAvailable(): boolean {
  return existsSync(fileURLToPath(WORKER_SCRIPT));
}

/**
 * A reconcile walk spread over `threads` walker threads. Each reads every directory (readdir is the
 * cheap part) and stats the files of its share (lstat is the expensive part), so N threads stat
 * each file exactly once without having to split the tree; the caller's thread only compares.
 *
 * Same contract as the in-thread walk: errors, errorCount (an over-count when threads overflowed
 * their error lists, which only makes the reconcile more careful) and rootFailed after the end.
 */
export class ParallelWalk implements ReconcileWalk {
  errorCount = 0;
  rootFailed = false;
  private collected: WalkError[] = [];

  constructor(
    private readonly root: string,
    private readonly filter: PathFilterOptions,
    private readonly threads: number,
    private readonly batchSize = 1_000,
  ) {}

  errors(): WalkError[] {
    return this.collected;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<WalkBatch> {
    const inFlightBuffer = new SharedArrayBuffer(4 * this.threads);
    const inFlight = new Int32Array(inFlightBuffer);
    const inbox: Array<{ from: number; message: WalkerMessage }> = [];
    let wake: (() => void) | undefined;
    let failure: Error | undefined;
    const ended: Array<Extract<WalkerMessage, { type: 'end' }>> = [];

    const workers = Array.from({ length: this.threads }, (_, index) => {
      const job: WalkJob = {
        root: this.root,
        filter: this.filter,
        share: { index, of: this.threads },
        batchSize: this.batchSize,
        inFlight: inFlightBuffer,
        maxInFlight: MAX_IN_FLIGHT,
      };
      const worker = new Worker(WORKER_SCRIPT, { workerData: job });
      worker.on('message', (message: WalkerMessage) => {
        inbox.push({ from: index, message });
        wake?.();
      });
      worker.on('error', (err) => {
        failure ??= err;
        wake?.();
      });
      worker.on('exit', (code) => {
        if (code !== 0) failure ??= new Error(`walker thread ${index} of ${this.root} exited with code ${code}`);
        wake?.();
      });
      return worker;
    });

    try {
      while (ended.length < this.threads) {
        const next = inbox.shift();
        if (next === undefined) {
          if (failure) throw failure;
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
          continue;
        }
        if (next.message.type === 'end') {
          ended.push(next.message);
          continue;
        }
        Atomics.sub(inFlight, next.from, 1);
        Atomics.notify(inFlight, next.from);
        yield WalkBatch.decode(next.message);
      }
    } finally {
      for (const w of workers) void w.terminate();
    }
    this.merge(ended);
  }

  /** Directory errors are seen by every thread: counted once. */
  private merge(ended: ReadonlyArray<Extract<WalkerMessage, { type: 'end' }>>): void {
    const unique = new Map<string, WalkError>();
    for (const e of ended.flatMap((m) => m.errors)) unique.set(`${e.relPath}\0${e.code}`, e);
    this.collected = [...unique.values()];
    const overflowed = ended.some((m) => m.errorCount > m.errors.length);
    this.errorCount = overflowed ? ended.reduce((n, m) => n + m.errorCount, 0) : this.collected.length;
    this.rootFailed = ended.some((m) => m.rootFailed);
  }
}
