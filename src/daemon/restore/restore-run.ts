import { lstat } from 'node:fs/promises';
import picomatch from 'picomatch';
import type { RestoreProgress } from '../../store/index.js';
import { listObjectPages, listObjects, MemoryBudget, type ListedObject, type ObjectStorage } from '../../uploader/index.js';
import {
  downloadBuffers,
  downloadFile,
  fileCrc64,
  isRanged,
  streamsWithin,
  type DownloadDeps,
  type DownloadSettings,
} from './file-download.js';
import { isArchived, requestRestores, waitUntilRestored, type ThawState } from './archive-thaw.js';
import { FreshDirs } from './fresh-dirs.js';
import { inDir, namingRealPaths, RestoreDirs } from './restore-dirs.js';
import { restoreTarget } from './restore-target.js';
import { listObjectsAt } from './version-selection.js';
import { forEachLimit } from '../../lib/for-each-limit.js';

export type RestoreAction =
  'restored' | 'unchanged' | 'conflict' | 'refused' | 'failed' | 'requested' | 'would restore' | 'would overwrite' | 'would check';

export interface RestoreEntry {
  key: string;
  /** Where the file lands (absent when refused). */
  path?: string;
  action: RestoreAction;
  bytes?: number;
  /** Of `bytes`, those a killed run had already written and checked. */
  resumedBytes?: number;
  detail?: string;
}

export interface RestoreRunOptions {
  storage: ObjectStorage;
  progress: RestoreProgress;
  bucket: string;
  prefix: string;
  /** Absolute, existing. */
  toDir: string;
  /** Folder-relative paths (a path selects itself and everything under it) or globs; empty = all. */
  patterns: readonly string[];
  overwrite: boolean;
  dryRun: boolean;
  /** Restore the prefix as it was at this time, from object versions (see version-selection.ts). */
  at?: Date;
  /** Objects fetched in ranged parts (isRanged: from download.rangedThreshold, parts_per_file streams each) at once. */
  filesInParallel: number;
  /** Smaller objects (one GET each) at once (concurrency.small_files, as uploads): a round trip each. Default filesInParallel. */
  smallFilesInParallel?: number;
  /** concurrency.memory: each download pays its buffers (downloadBuffers) from it before it starts. */
  memory?: MemoryBudget;
  download: DownloadSettings;
  /**
   * Archive/ColdArchive objects: ask OSS to restore them (RestoreObject, readable for `days`) and, with
   * `pollMs`, wait for each (HEAD every pollMs) and download it. Without: reported as "must be restored on OSS first".
   */
  thaw?: { days: number; pollMs?: number };
  onEvent?: (event: RestoreEvent) => void;
}

/** 'planned': the files and bytes selected so far, after each listing page; `complete` once the listing is done. */
export type RestoreEvent =
  | { type: 'planned'; files: number; bytes: number; complete: boolean }
  | { type: 'bytes'; n: number }
  | { type: 'file'; entry: RestoreEntry };

export interface RestoreSummary {
  entries: RestoreEntry[];
  bytes: number;
  resumedBytes: number;
}

/** Whether the summary means exit code 1: something is not as the bucket holds it. */
export function restoreFailed(summary: RestoreSummary): boolean {
  return summary.entries.some((e) => ['failed', 'conflict', 'refused', 'requested'].includes(e.action));
}

/**
 * Restores a prefix (or the selected part of it) into toDir. A local file is replaced only with
 * `overwrite` and only when it differs (by CRC-64); keys that would land outside toDir are refused
 * and named, never written. Each listing page's files are downloaded while the next page is asked
 * for, except where a mode needs the whole listing first (see `pages`).
 */
export async function runRestore(options: RestoreRunOptions): Promise<RestoreSummary> {
  // A large object's streams are cut to what the memory budget holds: it pays for all of them at once.
  const o = options.memory ? { ...options, download: streamsWithin(options.download, options.memory.limitBytes) } : options;
  const signal = o.download.signal;
  // --at picks each key's version from all of its versions, and --request-restore sends every
  // RestoreObject before any download (restores run in parallel on OSS): both list the whole prefix
  // first, as one page. Otherwise the listing stays one page ahead of the downloads (oneAhead).
  const pages: Iterable<ListedObject[]> | AsyncIterable<ListedObject[]> = o.at
    ? [await listObjectsAt(o.storage, o.bucket, o.prefix, o.at, signal)]
    : o.thaw
      ? [await listObjects(o.storage, o.bucket, o.prefix, { signal })]
      : oneAhead(listObjectPages(o.storage, o.bucket, o.prefix, { signal }));
  const selected = selector(o.patterns);
  const entries: RestoreEntry[] = [];
  const planned = { files: 0, bytes: 0 };
  let bytes = 0;
  let resumedBytes = 0;
  const dirs = new RestoreDirs(o.toDir);
  const freshDirs = new FreshDirs();
  const thaw = o.thaw && { storage: o.storage, bucket: o.bucket, days: o.thaw.days, parallel: o.filesInParallel, signal };
  const thawing = new Map<string, ThawState>();
  async function* work(): AsyncGenerator<{ object: ListedObject; path: string }> {
    for await (const page of pages) {
      const batch = selectWork(o, page, selected, entries);
      planned.files += batch.length;
      planned.bytes += batch.reduce((n, w) => n + w.object.size, 0);
      o.onEvent?.({ type: 'planned', ...planned, complete: false });
      const archived = batch.map((w) => w.object).filter(isArchived);
      if (thaw && !o.dryRun && archived.length > 0)
        for (const [key, state] of await requestRestores(thaw, archived)) thawing.set(key, state);
      // Not yield*: in an async generator it wraps the array in an async-from-sync iterator, a promise more per file.
      for (const w of batch) yield w;
    }
    o.onEvent?.({ type: 'planned', ...planned, complete: true });
  }
  const deps: DownloadDeps = { storage: o.storage, progress: o.progress, onBytes: (n) => o.onEvent?.({ type: 'bytes', n }) };
  // Invariant: at most filesInParallel large objects at once, whatever the pool's size: a budget of
  // that many slots, each large download paying one (waiters served in order, as for memory).
  const largeSlots = new MemoryBudget(o.filesInParallel);
  const pool = Math.max(o.filesInParallel, o.smallFilesInParallel ?? 0);
  await forEachLimit(work(), pool, async ({ object, path }) => {
    const state = thawing.get(object.key);
    let entry: RestoreEntry;
    try {
      if (state instanceof Error) entry = { key: object.key, path, action: 'failed', detail: `RestoreObject failed: ${state.message}` };
      else if (state === 'requested' && o.thaw?.pollMs === undefined) {
        const detail = 'restore on OSS requested (RestoreObject); run this again once it is done, or add --wait';
        entry = { key: object.key, path, action: 'requested', detail };
      } else {
        if (state === 'requested') await waitUntilRestored(thaw!, object.key, o.thaw!.pollMs!);
        const run = () =>
          withMemory(o.memory, downloadBuffers(object.size, o.download), signal, (payFor) =>
            restoreOne(o, deps, dirs, object, path, freshDirs, payFor),
          );
        entry = isRanged(object.size, o.download) ? await withMemory(largeSlots, 1, signal, run) : await run();
      }
    } catch (err) {
      entry = { key: object.key, path, action: 'failed', detail: (err as Error).message };
    }
    if (entry.action === 'restored') bytes += entry.bytes ?? 0;
    resumedBytes += entry.resumedBytes ?? 0;
    entries.push(entry);
    o.onEvent?.({ type: 'file', entry });
  })
    // Invariant: every directory descriptor is closed once the restore ends, however it ends.
    .finally(() => dirs.end());
  entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { entries, bytes, resumedBytes };
}

/** A page's selected objects with their targets; the refused ones go to `entries`, named. */
function selectWork(
  o: RestoreRunOptions,
  page: readonly ListedObject[],
  selected: (relPath: string) => boolean,
  entries: RestoreEntry[],
): Array<{ object: ListedObject; path: string }> {
  const work: Array<{ object: ListedObject; path: string }> = [];
  for (const object of page) {
    const target = restoreTarget(o.toDir, o.prefix, object.key);
    const relPath = object.key.slice(o.prefix.length);
    if (!selected(relPath)) continue;
    if (!target.ok) {
      // A directory marker ('dir/') is how consoles make folders: nothing to restore, nothing wrong,
      // unless a segment of it is '', '.' or '..' (then it is refused, named, like a file's key).
      if (relPath.endsWith('/') && !/(?:^|\/)\.{0,2}\//.test(relPath)) continue;
      entries.push({ key: object.key, action: 'refused', detail: target.reason });
      continue;
    }
    work.push({ object, path: target.path });
  }
  return work;
}

/**
 * fn, once `bytes` (at most the whole budget) are taken from `memory`; they are given back when it
 * ends. fn's `payFor` replaces them by more (an object grown since it was listed). No deadlock: a
 * download waits for memory only while it holds none (payFor gives back what it holds first).
 */
async function withMemory<T>(
  memory: MemoryBudget | undefined,
  bytes: number,
  signal: AbortSignal | undefined,
  fn: (payFor?: (bytes: number) => Promise<void>) => Promise<T>,
): Promise<T> {
  if (!memory) return fn();
  let taken = Math.min(bytes, memory.limitBytes);
  await memory.acquire(taken, signal);
  const payFor = async (more: number): Promise<void> => {
    const wanted = Math.min(more, memory.limitBytes);
    if (wanted <= taken) return;
    memory.release(taken);
    taken = 0;
    await memory.acquire(wanted, signal);
    taken = wanted;
  };
  try {
    return await fn(payFor);
  } finally {
    memory.release(taken);
  }
}

/**
 * The source's items, the next one already requested while the caller works on this one: one page
 * of the listing in flight ahead of the downloads, never more.
 */
async function* oneAhead<T>(source: AsyncIterator<T>): AsyncGenerator<T> {
  let next = source.next();
  for (;;) {
    const r = await next;
    if (r.done) return;
    next = source.next();
    // Awaited on the next turn; a failure before then must not count as unhandled meanwhile.
    next.catch(() => undefined);
    yield r.value;
  }
}

async function restoreOne(
  o: RestoreRunOptions,
  deps: DownloadDeps,
  dirs: RestoreDirs,
  object: ListedObject,
  path: string,
  freshDirs: FreshDirs,
  payFor?: (bytes: number) => Promise<void>,
): Promise<RestoreEntry> {
  // Before a local file there is read for its CRC-64 or written: only inside --to (a symlinked
  // directory may lead out), and held open while this file is in flight (see RestoreDirs).
  const entered = o.dryRun ? undefined : dirs.enter(path);
  const dir = entered instanceof Promise ? await entered : entered;
  try {
    const base = { key: object.key, path };
    // A file found there is looked at through the held directory too: the path may lead out by now.
    const at = inDir(dir, path);
    const mayExist = freshDirs.mayExist(path); // a boolean, not a promise, once its directory was seen
    const local = !(typeof mayExist === 'boolean' ? mayExist : await mayExist)
      ? undefined
      : await lstat(at).catch((err: NodeJS.ErrnoException) => {
          if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return undefined;
          throw err;
        });
    if (local && local.isDirectory()) return { ...base, action: 'conflict', detail: 'a directory is in the way' };
    if (local && !local.isFile() && !local.isSymbolicLink()) return { ...base, action: 'conflict', detail: 'a special file is in the way' };
    if (local) {
      const sameSize = local.isFile() && local.size === object.size;
      if (o.dryRun) {
        if (sameSize) return { ...base, action: 'would check', detail: 'exists with the same size: compared by CRC-64 when run' };
        return o.overwrite
          ? { ...base, action: 'would overwrite', bytes: object.size }
          : { ...base, action: 'conflict', detail: 'a different local file exists (--overwrite replaces it)' };
      }
      if (sameSize) {
        const info = await o.storage.head(
          { bucket: o.bucket, key: object.key, versionId: object.versionId },
          { signal: o.download.signal },
        );
        if (info?.crc64 !== undefined && (await fileCrc64(at)) === info.crc64) {
          // A run killed between the rename and forgetting its progress left the row behind.
          o.progress.finish(path);
          return { ...base, action: 'unchanged' };
        }
      }
      if (!o.overwrite) return { ...base, action: 'conflict', detail: 'a different local file exists (--overwrite replaces it)' };
    } else if (o.dryRun) {
      return { ...base, action: 'would restore', bytes: object.size };
    }
    const result = await downloadFile(
      deps,
      {
        bucket: o.bucket,
        key: object.key,
        versionId: object.versionId,
        target: path,
        dir,
        size: object.size,
        storageClass: object.storageClass,
        ...(payFor ? { payFor } : {}),
      },
      o.download,
    );
    const restored: RestoreEntry = { key: object.key, path, action: 'restored', bytes: result.bytes };
    if (result.resumedBytes > 0) restored.resumedBytes = result.resumedBytes;
    return restored;
  } catch (err) {
    throw namingRealPaths(dir, err);
  } finally {
    if (dir) dirs.leave(dir);
  }
}

/** Paths select themselves and what is under them; anything with glob characters is a glob. */
function selector(patterns: readonly string[]): (relPath: string) => boolean {
  if (patterns.length === 0) return () => true;
  const cleaned = patterns.map((p) => p.replace(/^\.\//, '').replace(/\/+$/, ''));
  const globs = cleaned.filter((p) => picomatch.scan(p).isGlob);
  const paths = cleaned.filter((p) => !picomatch.scan(p).isGlob);
  const glob = globs.length > 0 ? picomatch(globs, { dot: true }) : () => false;
  return (relPath) => glob(relPath) || paths.some((p) => p === '' || relPath === p || relPath.startsWith(`${p}/`));
}
