/**
 * A walker thread: walks the whole tree but stats only its share of the files, and posts them in
 * batches (see ParallelWalk). Posting waits while `inFlight` batches are unread, so a slow reader
 * holds memory at a few batches per thread, not at the tree.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createPathFilter, type PathFilterOptions } from '../watch/path-filter.js';
import { TreeWalk, type WalkError } from '../watch/tree-walker.js';
import { WalkBatch } from './walk-batch.js';

export interface WalkJob {
  root: string;
  filter: PathFilterOptions;
  share: { index: number; of: number };
  batchSize: number;
  /** Int32Array over it: per thread, batches posted and not yet taken by the reader. */
  inFlight: SharedArrayBuffer;
  maxInFlight: number;
}

export type WalkerMessage =
  | { type: 'batch'; keys: string; stats: BigInt64Array }
  | { type: 'end'; errors: WalkError[]; errorCount: number; rootFailed: boolean };

const job = workerData as WalkJob;
const inFlight = new Int32Array(job.inFlight);
const slot = job.share.index;
const walk = new TreeWalk(job.root, createPathFilter(job.filter), { batchSize: job.batchSize, share: job.share });

for (const entries of walk.syncBatches()) {
  const { keys, stats } = WalkBatch.fromEntries(entries).encode();
  parentPort!.postMessage({ type: 'batch', keys, stats } satisfies WalkerMessage, [stats.buffer as ArrayBuffer]);
  Atomics.add(inFlight, slot, 1);
  for (let n = Atomics.load(inFlight, slot); n >= job.maxInFlight; n = Atomics.load(inFlight, slot)) {
    Atomics.wait(inFlight, slot, n, 1_000);
  }
}
parentPort!.postMessage({ type: 'end', errors: walk.errors(), errorCount: walk.errorCount, rootFailed: walk.rootFailed } satisfies WalkerMessage);
