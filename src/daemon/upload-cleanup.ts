import type { FolderConfig } from '../config/index.js';
import type { StateStore } from '../store/index.js';
import type { ObjectStorage } from '../uploader/index.js';
import type { Logger } from './logger.js';

export interface CleanupContext {
  store: StateStore;
  storage: ObjectStorage;
  logger: Logger;
  /** The folders in the config now. */
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
  const orphans: Array<{ bucket: string; key: string; uploadId: string }> = [];
  for (const folder of ctx.folders) {
    let listed;
    try {
      listed = await ctx.storage.listMultipartUploads(folder.bucket, folder.prefix);
    } catch (err) {
      ctx.logger.warn('cannot list multipart uploads to clean up; will try at next start', { folder: folder.name, error: err });
      continue;
    }
    if (listed.length === 0) continue; // the usual start: no need to load every key of the folder
    const ours = new Set(ctx.store.queue.keysOf(folder.name));
    for (const u of listed) {
      if (ours.has(u.key) && !ctx.store.uploads.has(u.uploadId)) orphans.push({ bucket: folder.bucket, key: u.key, uploadId: u.uploadId });
    }
  }
  for (const u of orphans) await abortOrphan(ctx, u, false);
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
    await abortOrphan(ctx, u, true);
  }
}

async function abortOrphan(ctx: CleanupContext, u: { bucket: string; key: string; uploadId: string }, recorded: boolean): Promise<void> {
  const where = { key: `oss://${u.bucket}/${u.key}`, uploadId: u.uploadId };
  try {
    // Stopping cuts it short (the next start aborts it again): a stop waits for this request.
    await ctx.storage.abortMultipart({ bucket: u.bucket, key: u.key }, u.uploadId, { signal: ctx.stopSignal });
    if (recorded) ctx.store.uploads.forget(u.uploadId);
    ctx.logger.info('aborted orphaned multipart upload', where);
  } catch (err) {
    ctx.logger.warn('could not abort orphaned multipart upload; will try again at next start', { ...where, error: err });
  }
}

/**
 * Every multipart upload recorded for a file of a folder that is not in the config (removed by a
 * reload, or missing from the config this daemon started with) is aborted on OSS and its record
 * forgotten. The file row stays as it is (queued: resetInterrupted at start, the cancelled worker's
 * requeue at a reload), so re-adding the folder uploads the file again, from scratch.
 *
 * Invariants: the caller has stopped (and waited for) every transfer of those folders first, so no
 * part is still being sent to an upload aborted here. The abort comes before the record is
 * forgotten: a kill -9 in between leaves a record of an aborted upload, which the next start
 * aborts again (an abort of an upload that no longer exists succeeds) or, if the folder is back
 * by then, a resume finds gone (NoSuchUpload) and starts over. Best effort: what fails stays
 * recorded and is tried again at the next reload or start.
 */
export async function abortRemovedFolderUploads(ctx: CleanupContext): Promise<void> {
  const configured = ctx.folders.map((f) => f.name);
  for (const u of ctx.store.uploads.ofFoldersOtherThan(configured)) {
    if (ctx.stopSignal.aborted) return; // stopping: the next start does the rest
    const where = { folder: u.folder, path: u.relPath, key: `oss://${u.bucket}/${u.key}`, uploadId: u.uploadId };
    try {
      await ctx.storage.abortMultipart({ bucket: u.bucket, key: u.key }, u.uploadId, { signal: ctx.stopSignal });
      ctx.store.uploads.forget(u.uploadId);
      ctx.logger.info('aborted the multipart upload of a file whose folder is not in the config', where);
    } catch (err) {
      ctx.logger.warn('could not abort the multipart upload of a removed folder; will try again at the next reload or start', {
        ...where,
        error: err as Error,
      });
    }
  }
}
