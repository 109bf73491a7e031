import type { FolderConfig } from '../config/index.js';
import type { StateStore } from '../store/index.js';
import type { ObjectStorage } from '../uploader/index.js';
import type { Logger } from '../lib/logger.js';

export interface CleanupContext {
  store: StateStore;
  storage: ObjectStorage;
  logger: Logger;
  folders: readonly FolderConfig[];
  /** Fired when the daemon stops: what is left waits for the next start. */
  stopSignal: AbortSignal;
}

/**
 * Multipart uploads nobody will resume, aborted on OSS so they stop costing storage:
 * - recorded ones whose file was forgotten or is being deleted;
 * - recorded ones of files in folders no longer in the config (see abortRemovedFolderUploads);
 * - ones the server has under a folder's prefix for a file we track but the database never
 *   recorded: a crash between InitiateMultipartUpload and committing its ID leaves exactly that.
 * Uploads under our prefixes for keys we do not track are left alone (not ours to judge).
 */
export async function abortOrphanedUploads(ctx: CleanupContext): Promise<void> {
  await abortRecordedOrphans(ctx);
  for (const folder of ctx.folders) {
    const listed = await ctx.storage.listMultipartUploads(folder.bucket, folder.prefix).catch((err: unknown) => {
      ctx.logger.warn('cannot list multipart uploads to clean up; will try at next start', { folder: folder.name, error: err });
      return [];
    });
    if (listed.length === 0) continue; // the usual start: no need to load every key of the folder
    const ours = new Set(ctx.store.queue.keysOf(folder.name));
    for (const u of listed) {
      if (ours.has(u.key) && !ctx.store.uploads.has(u.uploadId))
        await abortUpload(ctx, { bucket: folder.bucket, ...u }, {}, ORPHAN_ABORTED);
    }
  }
  await abortRemovedFolderUploads(ctx);
}

/**
 * The recorded uploads whose file was forgotten (deleted under `keep`), is being deleted (`mirror`)
 * or has a newer upload: aborted, then forgotten (a kill -9 in between aborts again next time).
 */
export async function abortRecordedOrphans(ctx: CleanupContext): Promise<void> {
  for (const u of ctx.store.uploads.orphans()) {
    if (ctx.stopSignal.aborted) return; // stopping: the next start does the rest
    // While the daemon runs the list ages: a file that came back may have taken its upload up again.
    if (!ctx.store.uploads.isOrphan(u.uploadId)) continue;
    await abortUpload(ctx, u, {}, ORPHAN_ABORTED);
  }
}

const ORPHAN_ABORTED: [string, string] = [
  'aborted orphaned multipart upload',
  'could not abort orphaned multipart upload; will try again at next start',
];

/**
 * Aborts one multipart upload on OSS, then forgets its record if there is one: abort first, forget
 * after, so a crash in between leaves a record whose next abort succeeds. Stopping cuts the request
 * short. Logs `done` or `failed`; returns the error message if it failed.
 */
async function abortUpload(
  ctx: CleanupContext,
  u: { bucket: string; key: string; uploadId: string },
  where: Record<string, unknown>,
  [done, failed]: [string, string],
): Promise<string | undefined> {
  const fields = { ...where, key: `oss://${u.bucket}/${u.key}`, uploadId: u.uploadId };
  try {
    await ctx.storage.abortMultipart({ bucket: u.bucket, key: u.key }, u.uploadId, { signal: ctx.stopSignal });
    if (ctx.store.uploads.has(u.uploadId)) ctx.store.uploads.forget(u.uploadId);
    ctx.logger.info(done, fields);
    return undefined;
  } catch (err) {
    ctx.logger.warn(failed, { ...fields, error: err as Error });
    return (err as Error).message;
  }
}

/**
 * Every multipart upload recorded for a file of a folder not in the config is aborted on OSS and its
 * record forgotten. The file row stays (queued), so re-adding the folder uploads the file from scratch.
 *
 * Invariants: the caller has stopped (and waited for) every transfer of those folders first, so no
 * part is still being sent to an upload aborted here. The abort comes before the record is forgotten
 * (see abortUpload): a kill -9 in between is aborted again at the next start, or, the folder back by
 * then, a resume finds it gone (NoSuchUpload) and starts over. What fails is tried again at the next
 * reload or start.
 */
export async function abortRemovedFolderUploads(ctx: CleanupContext): Promise<void> {
  const configured = ctx.folders.map((f) => f.name);
  for (const u of ctx.store.uploads.ofFoldersOtherThan(configured)) {
    if (ctx.stopSignal.aborted) return; // stopping: the next start does the rest
    await abortUpload(ctx, u, { folder: u.folder, path: u.relPath }, [
      'aborted the multipart upload of a file whose folder is not in the config',
      'could not abort the multipart upload of a removed folder; will try again at the next reload or start',
    ]);
  }
}

/** One in-progress multipart upload under a folder's prefix, and what cleanup does with it. */
export interface StaleUploadEntry {
  folder: string;
  bucket: string;
  key: string;
  uploadId: string;
  initiated: string;
  /** Parts the server holds and their bytes (undefined when ListParts failed). */
  parts: number | undefined;
  bytes: number | undefined;
  action: 'abort' | 'keep';
  reason: string;
  /** Set when the abort was tried and failed. */
  error?: string;
}

export interface StaleUploadOptions {
  /** Uploads the state database does not hold as resumable are aborted once this old. */
  olderThanMs: number;
  /** List what would be aborted; send no request that changes anything. */
  dryRun: boolean;
}

/**
 * `oss-sync cleanup` (and run's cleanup_schedule): every in-progress multipart upload under each
 * folder's prefix is judged against the state database. Invariants:
 * - nothing outside a configured folder's bucket and prefix is ever listed or aborted;
 * - an upload the database holds as resumable is never aborted, however old (a file's next attempt resumes it);
 * - one the database does not know is aborted only once older than `olderThanMs`: a younger one may
 *   be starting right now (Initiate answered, the ID not yet committed) or another client's;
 * - one recorded for a file that is gone (an orphan) is aborted at any age, then forgotten.
 */
export async function cleanUpStaleUploads(ctx: CleanupContext, options: StaleUploadOptions): Promise<StaleUploadEntry[]> {
  const now = Date.now();
  const entries: StaleUploadEntry[] = [];
  for (const folder of ctx.folders) {
    if (ctx.stopSignal.aborted) break;
    const listed = await ctx.storage.listMultipartUploads(folder.bucket, folder.prefix, { signal: ctx.stopSignal });
    for (const u of listed) {
      const parts = await ctx.storage
        .listParts({ bucket: folder.bucket, key: u.key }, u.uploadId, { signal: ctx.stopSignal })
        .catch(() => undefined);
      const bytes = parts?.reduce((sum, p) => sum + p.size, 0);
      entries.push({
        folder: folder.name,
        bucket: folder.bucket,
        ...u,
        parts: parts?.length,
        bytes,
        ...judge(ctx, u, now, options.olderThanMs),
      });
    }
  }
  if (options.dryRun) return entries;
  for (const e of entries) {
    if (e.action !== 'abort' || ctx.stopSignal.aborted) continue;
    // Judged again just before the abort: while this ran, a file may have taken the upload up again.
    if (judge(ctx, e, now, options.olderThanMs).action !== 'abort') continue;
    const error = await abortUpload(ctx, e, { folder: e.folder, reason: e.reason }, [
      'aborted stale multipart upload',
      'could not abort stale multipart upload; the next cleanup tries again',
    ]);
    if (error !== undefined) e.error = error;
  }
  return entries;
}

function judge(
  ctx: CleanupContext,
  u: { uploadId: string; initiated: string },
  now: number,
  olderThanMs: number,
): Pick<StaleUploadEntry, 'action' | 'reason'> {
  if (ctx.store.uploads.has(u.uploadId)) {
    return ctx.store.uploads.isOrphan(u.uploadId)
      ? { action: 'abort', reason: 'its file is gone (recorded, nobody will resume it)' }
      : { action: 'keep', reason: 'resumable (recorded in the state database)' };
  }
  const started = Date.parse(u.initiated);
  // An unreadable date is kept: only an age we can prove makes an upload stale.
  if (Number.isNaN(started)) return { action: 'keep', reason: `initiated at an unreadable time (${u.initiated})` };
  const age = now - started;
  return age >= olderThanMs
    ? { action: 'abort', reason: `not resumable, started ${formatAge(age)} ago` }
    : { action: 'keep', reason: `not recorded, but only ${formatAge(Math.max(0, age))} old (may be in progress)` };
}

function formatAge(ms: number): string {
  const hours = ms / 3_600_000;
  return hours >= 48 ? `${Math.floor(hours / 24)} days` : hours >= 1 ? `${Math.floor(hours)} h` : `${Math.floor(ms / 60_000)} min`;
}
