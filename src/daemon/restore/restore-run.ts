import { createReadStream } from 'node:fs';
import { lstat } from 'node:fs/promises';
import picomatch from 'picomatch';
import { Crc64 } from '../../lib/crc64.js';
import type { RestoreProgress } from '../../store/index.js';
import type { ListedObject, ObjectStorage } from '../../uploader/index.js';
import { downloadFile, type DownloadSettings } from './file-download.js';
import { restoreTarget } from './restore-target.js';
import { listObjectsAt } from './version-selection.js';
import { forEachLimit } from '../../lib/for-each-limit.js';

export type RestoreAction =
  'restored' | 'unchanged' | 'conflict' | 'refused' | 'failed' | 'would restore' | 'would overwrite' | 'would check';

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
  filesInParallel: number;
  download: DownloadSettings;
  onEvent?: (event: RestoreEvent) => void;
}

export type RestoreEvent =
  { type: 'planned'; files: number; bytes: number } | { type: 'bytes'; n: number } | { type: 'file'; entry: RestoreEntry };

export interface RestoreSummary {
  entries: RestoreEntry[];
  bytes: number;
  resumedBytes: number;
}

/** Whether the summary means exit code 1: something is not as the bucket holds it. */
export function restoreFailed(summary: RestoreSummary): boolean {
  return summary.entries.some((e) => e.action === 'failed' || e.action === 'conflict' || e.action === 'refused');
}

/**
 * Restores a prefix (or the selected part of it) into toDir: one listing, then the files in
 * parallel. A local file is replaced only with `overwrite` and only when it differs (by CRC-64);
 * keys that would land outside toDir are refused and named, never written.
 */
export async function runRestore(o: RestoreRunOptions): Promise<RestoreSummary> {
  const objects = o.at
    ? await listObjectsAt(o.storage, o.bucket, o.prefix, o.at, o.download.signal)
    : await o.storage.listObjects(o.bucket, o.prefix, { signal: o.download.signal });
  const selected = selector(o.patterns);
  const entries: RestoreEntry[] = [];
  const work: Array<{ object: ListedObject; path: string }> = [];
  for (const object of objects) {
    const target = restoreTarget(o.toDir, o.prefix, object.key);
    const relPath = object.key.slice(o.prefix.length);
    if (!selected(relPath)) continue;
    if (!target.ok) {
      // A directory marker ('dir/') is how consoles make folders: nothing to restore, nothing wrong.
      if (
        relPath.endsWith('/') &&
        !relPath
          .split('/')
          .slice(0, -1)
          .some((s) => s === '..' || s === '.' || s === '')
      )
        continue;
      entries.push({ key: object.key, action: 'refused', detail: target.reason });
      continue;
    }
    work.push({ object, path: target.path });
  }
  o.onEvent?.({ type: 'planned', files: work.length, bytes: work.reduce((n, w) => n + w.object.size, 0) });
  let bytes = 0;
  let resumedBytes = 0;
  const checkedDirs = new Set<string>();
  await forEachLimit(work, o.filesInParallel, async ({ object, path }) => {
    const entry = await restoreOne(o, object, path, checkedDirs).catch((err: unknown): RestoreEntry => ({
      key: object.key,
      path,
      action: 'failed',
      detail: (err as Error).message,
    }));
    if (entry.action === 'restored') bytes += entry.bytes ?? 0;
    resumedBytes += entry.resumedBytes ?? 0;
    entries.push(entry);
    o.onEvent?.({ type: 'file', entry });
  });
  entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { entries, bytes, resumedBytes };
}

async function restoreOne(o: RestoreRunOptions, object: ListedObject, path: string, checkedDirs: Set<string>): Promise<RestoreEntry> {
  const base = { key: object.key, path };
  const local = await lstat(path).catch((err: NodeJS.ErrnoException) => {
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
      const info = await o.storage.head({ bucket: o.bucket, key: object.key, versionId: object.versionId }, { signal: o.download.signal });
      if (info?.crc64 !== undefined && (await fileCrc64(path)) === info.crc64) {
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
    { storage: o.storage, progress: o.progress, onBytes: (n) => o.onEvent?.({ type: 'bytes', n }), checkedDirs },
    {
      bucket: o.bucket,
      key: object.key,
      versionId: object.versionId,
      target: path,
      toDir: o.toDir,
      size: object.size,
      storageClass: object.storageClass,
    },
    o.download,
  );
  return { ...base, action: 'restored', bytes: result.bytes, ...(result.resumedBytes > 0 ? { resumedBytes: result.resumedBytes } : {}) };
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

async function fileCrc64(path: string): Promise<string> {
  const crc = new Crc64();
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) crc.update(chunk as Buffer);
  return crc.digest();
}
