/**
 * A stat thread of a ParallelWalk: takes lists of paths (relative to the root), lstats each and
 * answers with their reconcile keys and identities. Directories are read by the caller's thread.
 */
import { lstatSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import type { WalkError } from '../watch/tree-walker.js';
import { WalkBatch } from './walk-batch.js';

export interface StatJob {
  /** The folder root, without a trailing slash. */
  base: string;
}

/** To the thread: NUL-joined relative paths. From it: the batch, and the paths it could not stat. */
export interface StatRequest {
  paths: string;
}
export interface StatReply {
  keys: string;
  stats: BigInt64Array;
  errors: WalkError[];
}

const { base } = workerData as StatJob;

parentPort!.on('message', ({ paths }: StatRequest) => {
  const relPaths = paths.split('\0');
  const batch = WalkBatch.builder(relPaths.length);
  const errors: WalkError[] = [];
  for (const relPath of relPaths) {
    try {
      // Every path is a UTF-8 name as read (the caller's TreeWalk reports the others), so one lstat
      // does not find is gone, even with a U+FFFD in it.
      const st = lstatSync(`${base}/${relPath}`, { bigint: true, throwIfNoEntry: false });
      // Gone, or replaced by a directory or a link since its directory was read: not a file now.
      if (st !== undefined && st.isFile()) batch.add(relPath, st);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      errors.push({ relPath, code: e.code ?? 'UNKNOWN', message: e.message });
    }
  }
  const { keys, stats } = batch.finish().encode();
  parentPort!.postMessage({ keys, stats, errors } satisfies StatReply, [stats.buffer as ArrayBuffer]);
});
