import type { PathFilter } from '../watch/path-filter.js';
import { TreeWalk, type WalkError } from '../watch/tree-walker.js';
import { ParallelWalk, parallelWalkAvailable, walkerThreads } from './parallel-walk.js';
import { WalkBatch } from './walk-batch.js';

/** A reconcile's walk of one folder: batches of files, then what could not be read. */
export interface ReconcileWalk extends AsyncIterable<WalkBatch> {
  errors(): WalkError[];
  readonly errorCount: number;
  /** The root could not be read: the walk saw nothing, which says nothing about the files. */
  readonly rootFailed: boolean;
  /** Gets work going before iteration where that helps (stat threads); returns at once. */
  start(): void;
  /** Ends a walk that will not be iterated to its end. */
  close(): void;
}

/**
 * Below this many known files a walk takes a few milliseconds: not worth starting threads. Above it
 * the stats dominate a restart, and spreading them over the cores is what keeps a reconcile of
 * 100,000 files within 2x of `find` (see bench/daemon.ts).
 */
export const PARALLEL_WALK_MIN_FILES = 20_000;

export interface ReconcileWalkOptions {
  /** Files the store knows in this folder: the expected size of the walk. */
  knownFiles: number;
  /** Stat threads; default walkerThreads(); 0 walks in the caller's thread. */
  threads?: number;
  /** Default PARALLEL_WALK_MIN_FILES. */
  parallelFrom?: number;
}

/** The walk a reconcile of this folder should use: in this thread for small trees, else in threads (started now). */
export function startReconcileWalk(root: string, filter: PathFilter, options: ReconcileWalkOptions): ReconcileWalk {
  const threads = options.threads ?? walkerThreads();
  const parallel = threads >= 1 && options.knownFiles >= (options.parallelFrom ?? PARALLEL_WALK_MIN_FILES) && parallelWalkAvailable();
  return parallel ? new ParallelWalk(root, filter, threads) : new InThreadWalk(root, filter);
}

/** The plain tree walk, its batches in the reconcile's shape. */
class InThreadWalk implements ReconcileWalk {
  private readonly walk: TreeWalk;

  constructor(root: string, filter: PathFilter) {
    this.walk = new TreeWalk(root, filter);
  }

  get errorCount(): number {
    return this.walk.errorCount;
  }

  get rootFailed(): boolean {
    return this.walk.rootFailed;
  }

  errors(): WalkError[] {
    return this.walk.errors();
  }

  start(): void {
    // Walks as it is iterated.
  }

  close(): void {
    // Nothing runs until iterated.
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<WalkBatch> {
    for await (const entries of this.walk) yield WalkBatch.fromEntries(entries);
  }
}
