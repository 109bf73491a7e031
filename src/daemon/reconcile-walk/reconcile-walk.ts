import { reconcileKey } from '../../store/reconcile-key.js';
import type { PathFilter } from '../watch/path-filter.js';
import { TreeWalk, type WalkEntry, type WalkError } from '../watch/tree-walker.js';
import { FindWalk, findWalkSupported } from './find-walk.js';

/** Walked files in the shape a reconcile compares: reconcile keys, and the full entry for the few that changed. */
export interface ReconcileBatch {
  /** reconcileKey() of each file: equal to the store's when nothing changed. */
  readonly keys: readonly string[];
  entry(i: number): WalkEntry;
}

/** A reconcile's walk of one folder: batches of files, then what could not be read. */
export interface ReconcileWalk extends AsyncIterable<ReconcileBatch> {
  /** 'find' or 'in-thread', as logged. */
  readonly name: string;
  /** What could not be read, the first of `errorCount`. */
  readonly errors: readonly WalkError[];
  readonly errorCount: number;
  /** The root could not be read: the walk saw nothing, which says nothing about the files. */
  readonly rootFailed: boolean;
  /**
   * Once iterated: why the walk cannot vouch that it saw every file (only a FindWalk can say so).
   * What it yielded is true, but files it did not yield may exist: the caller walks again in-thread.
   */
  readonly incomplete: string | undefined;
  /** Gets work going before iteration where that helps (find); returns at once. */
  start(): void;
  /** Ends a walk that will not be iterated to its end. */
  close(): void;
}

/**
 * Below this many known files a walk takes a few milliseconds, not worth starting find; above it,
 * find's walk on the other core keeps a reconcile of 100,000 files within 2x of `find` (bench/daemon.ts).
 */
export const FIND_WALK_MIN_FILES = 20_000;

/**
 * How a reconcile walks a folder. `auto`: in this thread below FIND_WALK_MIN_FILES, else GNU find where
 * findWalkSupported(). The others force one way (tests, benchmarks, an operator's OSS_SYNC_WALKER).
 */
export const WALKERS = ['auto', 'find', 'in-thread'] as const;
export type WalkerChoice = (typeof WALKERS)[number];

export interface ReconcileWalkOptions {
  /** Files the store knows in this folder: the expected size of the walk. */
  knownFiles: number;
  /** Default 'auto'. */
  walker?: WalkerChoice;
  /** The find a `find` walk runs; default `find` from PATH. */
  findCommand?: string;
}

/** OSS_SYNC_WALKER, checked: unset or empty is 'auto'. */
export function walkerFromEnv(env: NodeJS.ProcessEnv = process.env): WalkerChoice {
  const value = env.OSS_SYNC_WALKER;
  if (value === undefined || value === '') return 'auto';
  if ((WALKERS as readonly string[]).includes(value)) return value as WalkerChoice;
  throw new Error(`OSS_SYNC_WALKER=${JSON.stringify(value)} is not a walker: use one of ${WALKERS.join(', ')}`);
}

/** The walk a reconcile of this folder should use. */
export function startReconcileWalk(root: string, filter: PathFilter, options: ReconcileWalkOptions): ReconcileWalk {
  const walker = options.walker ?? 'auto';
  const auto = walker === 'auto' && options.knownFiles >= FIND_WALK_MIN_FILES && findWalkSupported();
  if (walker === 'find' || auto) return new FindWalk(root, filter, options.findCommand);
  return inThreadWalk(root, filter);
}

/** The plain tree walk, its batches in the reconcile's shape; it walks as it is iterated. */
export function inThreadWalk(root: string, filter: PathFilter): ReconcileWalk {
  const walk = new TreeWalk(root, filter);
  return {
    name: 'in-thread',
    incomplete: undefined,
    get errorCount() {
      return walk.errorCount;
    },
    get rootFailed() {
      return walk.rootFailed;
    },
    errors: walk.errors,
    start: () => undefined,
    close: () => undefined,
    async *[Symbol.asyncIterator]() {
      for await (const entries of walk) {
        yield { keys: entries.map((e) => reconcileKey(e.size, e.mtimeNs, e.ino, e.relPath)), entry: (i: number) => entries[i]! };
      }
    },
  };
}
