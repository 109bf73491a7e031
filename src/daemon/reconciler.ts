import { join } from 'node:path';
import type { FolderConfig } from '../config/index.js';
import { relPathOfReconcileKey, type Observation, type StateStore } from '../store/index.js';
import { inThreadWalk, startReconcileWalk, type ReconcileWalk, type ReconcileWalkOptions } from './reconcile-walk/reconcile-walk.js';
import type { PathFilter } from './watch/path-filter.js';
import { objectKey } from './object-key.js';

export interface ReconcileResult {
  scanned: number;
  queued: number;
  /** Paths known to the store that are no longer on disk. */
  missing: string[];
  /** Paths known to the store that the folder's filters now exclude (not deleted: just no longer backed up). */
  excluded: string[];
  /** Nothing was found where files were known: an empty mount point, most likely; nothing counts as deleted. */
  suspectEmpty: boolean;
  /** Entries the walk could not read (EACCES...): nothing under them is treated as deleted. */
  errors: Array<{ relPath: string; message: string }>;
  /** How many there were: `errors` keeps the first 1,000. */
  errorCount: number;
  /** How the folder was walked: 'find' or 'in-thread'; after a find walk that fell short, also why. */
  walk: string;
  /** Changed files modified after `unsettledAfterNs`: maybe still being written, so queued held back (the caller settles them). */
  unsettled: string[];
}

export interface ReconcileOptions extends Partial<ReconcileWalkOptions> {
  /**
   * Files changed since the store's record and modified after this (ns since the epoch) may still be
   * being written: the settle window applies to what a walk finds too. They are queued held back
   * until `holdUntilMs` (released sooner once they settle) and listed as `unsettled`.
   */
  unsettledAfterNs?: bigint;
  holdUntilMs?: number;
  /** Adoption: takes the new files of a batch OSS already holds (recorded) and returns the ones to queue. */
  adopt?: (changed: Observation[]) => Promise<Observation[]>;
  /**
   * The daemon stopping or the folder closing: the walk ends at the next batch. A walk cut short vouches
   * for nothing: no file counts as missing, and what it queued stands (each row is a true observation).
   */
  signal?: AbortSignal;
  /** Walked files adoption may hold before the walk waits for it (default ADOPTION_BACKLOG; tests make it small). */
  adoptionBacklog?: number;
}

/** Adoption holds a batch until the listing is past its keys: a walk faster than the listing would pile the tree up in memory. */
const ADOPTION_BACKLOG = 20_000;

/**
 * Compares a folder on disk with the state database and queues what changed while nobody was
 * watching. One query loads what the store knows of the folder (as reconcile keys); the walk's
 * batches are compared in memory by key and only changed files are written (one transaction per
 * batch). No request goes to OSS: the store's record of what was uploaded is the reference.
 */
export async function reconcileFolder(
  store: StateStore,
  folder: FolderConfig,
  filter: PathFilter,
  options: ReconcileOptions = {},
  /** Called after each batch that queued files, so uploads can start while the walk goes on. */
  onQueued: () => void = () => undefined,
): Promise<ReconcileResult> {
  const walkOptions = { knownFiles: store.queue.countFor(folder.name), ...options };
  const compare = (walk: ReconcileWalk) => compareWalk(walk, { ...options, store, folder, filter, onQueued });
  // find gets going now, and walk while the known keys load.
  const first = await compare(startReconcileWalk(folder.path, filter, walkOptions));
  if (first.incomplete === undefined || options.signal?.aborted) return first.result;
  // find could not vouch for the whole tree: walk again in this thread. What the first walk queued
  // is in the store, so this walk finds it unchanged; a file it listed twice is observed twice, harmlessly.
  const second = await compare(inThreadWalk(folder.path, filter));
  return {
    ...second.result,
    queued: first.result.queued + second.result.queued,
    walk: `${second.result.walk} (find fell short: ${first.incomplete})`,
  };
}

/** One walk compared with the store: changed files queued as it goes, missing ones listed at the end. */
async function compareWalk(
  walk: ReconcileWalk,
  context: ReconcileOptions & { store: StateStore; folder: FolderConfig; filter: PathFilter; onQueued: () => void },
): Promise<{ result: ReconcileResult; incomplete: string | undefined }> {
  const { store, folder, filter, onQueued, unsettledAfterNs, holdUntilMs = 0, adopt, adoptionBacklog = ADOPTION_BACKLOG, signal } = context;
  let known: Set<string>;
  try {
    walk.start();
    known = store.queue.reconcileKeys(folder.name, { bucket: folder.bucket, prefix: folder.prefix });
  } catch (err) {
    walk.close();
    throw err;
  }
  const result: ReconcileResult = {
    scanned: 0,
    queued: 0,
    missing: [],
    excluded: [],
    errors: [],
    suspectEmpty: false,
    walk: walk.name,
    unsettled: [],
    errorCount: 0,
  };
  /** Paths walked whose key did not match: their stale known key is not a missing file. */
  const changedPaths = new Set<string>();
  /** Walked files handed to adoption and not back yet; `settled` wakes the walk waiting for them. */
  let inAdoption = 0;
  let settled: (() => void) | undefined;
  const adoptionAtMost = async (files: number): Promise<void> => {
    while (inAdoption > files) await new Promise<void>((resolve) => (settled = resolve));
  };
  let adoptFailed: { error: unknown } | undefined;
  /** Queues walked files (not due before `dueAt`: held ones), counts them and says there is work. */
  const enqueue = (observations: Observation[], dueAt = 0): void => {
    if (observations.length === 0) return;
    const queued = store.queue.observe(folder.name, observations, Date.now(), { dueAt });
    result.queued += queued;
    if (queued > 0) onQueued();
  };
  // A walk waiting on find's output is not in this loop: closing it (find killed) ends its iteration.
  const closeWalk = (): void => walk.close();
  signal?.addEventListener('abort', closeWalk, { once: true });
  try {
    for await (const batch of walk) {
      if (signal?.aborted) break; // an in-thread walk, between batches
      const changed: Observation[] = [];
      const held: Observation[] = [];
      const { keys } = batch;
      result.scanned += keys.length;
      for (let i = 0; i < keys.length; i++) {
        if (known.delete(keys[i]!)) continue; // unchanged, and no longer a candidate for "missing"
        const entry = batch.entry(i);
        changedPaths.add(entry.relPath);
        const recent = unsettledAfterNs !== undefined && entry.mtimeNs > unsettledAfterNs;
        (recent ? held : changed).push({ ...entry, bucket: folder.bucket, key: objectKey(folder.prefix, entry.relPath) });
      }
      // Held files are queued too (an older queued row of one must not go up meanwhile), but not due yet.
      for (const o of held) result.unsettled.push(o.relPath);
      if (adopt && changed.length > 0) {
        // Not awaited: adoption waits for the listing's pages while the walk goes on. A store error is
        // thrown once the walk is done.
        inAdoption += changed.length;
        void adopt(changed)
          .then((rest) => {
            if (!adoptFailed) enqueue(rest);
          })
          .catch((error: unknown) => void (adoptFailed ??= { error }))
          .finally(() => {
            inAdoption -= changed.length;
            settled?.();
          });
      } else enqueue(changed);
      enqueue(held, holdUntilMs);
      // Invariant: adoption holds at most `adoptionBacklog` files (plus one batch) while the walk goes
      // on. No deadlock: the listing never waits for the walk, and a batch is decided once the listing
      // is past its keys (or over).
      await adoptionAtMost(adoptionBacklog);
    }
  } finally {
    signal?.removeEventListener('abort', closeWalk);
  }
  await adoptionAtMost(0);
  if (adoptFailed) throw adoptFailed.error;
  // Nothing counts as missing after a walk that may have missed files.
  if (signal?.aborted) return { result, incomplete: 'stopped' };
  if (walk.incomplete !== undefined) return { result, incomplete: walk.incomplete };
  // Node's messages start with the code already ("EACCES: permission denied, ..."); ours (EILSEQ) do not.
  result.errors = walk.errors.map((e) => ({
    relPath: e.relPath,
    message: e.message.startsWith(`${e.code}:`) ? e.message : `${e.code}: ${e.message}`,
  }));
  result.errorCount = walk.errorCount;
  // An unreadable root is not a mass delete; nor is a walk with more errors than it kept (we could
  // not tell which directories were unreadable, so no path counts as gone this time).
  if (walk.rootFailed || walk.errorCount > result.errors.length) return { result, incomplete: undefined };
  const notSeen = [...known].map(relPathOfReconcileKey).filter((relPath) => !changedPaths.has(relPath));
  // An unmounted disk leaves an empty directory behind: "every file deleted" is never believed.
  if (result.scanned === 0 && notSeen.length > 0) return { result: { ...result, suspectEmpty: true }, incomplete: undefined };
  const unreadable = result.errors.map((e) => e.relPath);
  for (const relPath of notSeen) {
    if (unreadable.some((dir) => dir === '' || relPath === dir || relPath.startsWith(`${dir}/`))) continue;
    if (!filter.acceptsFile(relPath, join(folder.path, relPath))) result.excluded.push(relPath);
    else result.missing.push(relPath);
  }
  return { result, incomplete: undefined };
}
