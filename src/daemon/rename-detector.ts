import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import type { FolderConfig } from '../config/index.js';
import { failpointValue } from '../lib/failpoint.js';
import { isDatabaseUnwritable, type FileRow, type Fingerprint, type RemovedFile, type StateStore } from '../store/index.js';
import { choosePartSize, fileMeta, planParts, type ObjectRef, type ObjectStorage } from '../uploader/index.js';
import type { Logger } from '../lib/logger.js';

export interface RenameDetectorOptions {
  store: StateStore;
  storage: ObjectStorage;
  logger: Logger;
  /** How far back a vanished file can be the source of a copy. */
  windowMs: () => number;
}

/** OSS copies objects up to 1 GiB with CopyObject; larger ones part by part (UploadPartCopy). */
export const COPY_OBJECT_MAX = 1024 ** 3;
/** A mirror delete of a copy's source waits at least this long, while the copy is made and checked. */
const COPY_HOLD_MS = 10 * 60_000;

/**
 * Renames and moves without re-upload: a new file whose identity (device, inode, size, mtime) is
 * that of a file that vanished lately (RemovedFiles) is copied on OSS from the vanished file's
 * object, which sends no body. The copy counts only once a HEAD of it shows the CRC-64 recorded for
 * the source; anything else (the source deleted meanwhile, a failed request, another CRC) falls
 * back to an upload.
 *
 * Invariant: a mirror folder's delete of the source waits while the copy is made (held by
 * COPY_HOLD_MS, then back to its own due time): the old key goes only after the copy was checked, or
 * failed and the file is uploaded instead.
 */
export class RenameDetector {
  constructor(private readonly o: RenameDetectorOptions) {}

  /** Whether the row's object was made by a server-side copy (the row is verified then). */
  async tryCopy(row: FileRow, folder: FolderConfig): Promise<boolean> {
    // A copy request cannot carry the folder's encryption and tags through ali-oss (its copy() turns
    // extra headers into x-oss-copy-source-*): an unencrypted copy of an encrypted backup is worse
    // than sending the bytes again.
    if (folder.encryption !== undefined || folder.tags !== undefined) return false;
    const fingerprint: Fingerprint = { size: row.size, mtimeNs: row.mtimeNs, ino: row.ino, dev: row.dev };
    const now = Date.now();
    const source = this.o.store.removed.sourceFor(row.bucket, row.key, fingerprint, now - this.o.windowMs());
    if (!source) return false;
    const pendingDelete = this.o.store.queue.find(source.folder, source.relPath);
    const dueAt = pendingDelete?.state === 'deleting' ? pendingDelete.nextAttemptAt : undefined;
    if (dueAt !== undefined) this.o.store.queue.scheduleDelete(source.folder, source.relPath, Math.max(dueAt, now + COPY_HOLD_MS), now);
    const target = { bucket: row.bucket, key: row.key };
    try {
      const copied = await this.copyChecked(source, target, fingerprint, folder, row.relPath);
      // The file must still be the one copied: same identity now as when it was observed.
      const now2 = lstatSync(join(folder.path, row.relPath), { bigint: true });
      if (now2.ino !== row.ino || now2.dev !== row.dev || Number(now2.size) !== row.size || now2.mtimeNs !== row.mtimeNs) return false;
      this.o.store.queue.markVerified(row.id, row.generation, { ...target, ...copied, fingerprint });
      this.o.store.removed.forget(source.folder, source.relPath);
      this.o.logger.info('moved on OSS without re-upload (server-side copy)', {
        folder: row.folder,
        path: row.relPath,
        from: `oss://${source.bucket}/${source.key}`,
        key: `oss://${row.bucket}/${row.key}`,
        bytes: row.size,
      });
      return true;
    } catch (err) {
      if (isDatabaseUnwritable(err)) throw err;
      this.o.logger.warn('server-side copy failed; uploading the file instead', {
        folder: row.folder,
        path: row.relPath,
        from: `oss://${source.bucket}/${source.key}`,
        error: err as Error,
      });
      return false;
    } finally {
      if (dueAt !== undefined) this.o.store.queue.scheduleDelete(source.folder, source.relPath, dueAt);
    }
  }

  /** Copies and checks the copy by CRC-64 against what was recorded for the source. */
  private async copyChecked(
    source: RemovedFile,
    target: ObjectRef,
    fingerprint: Fingerprint,
    folder: FolderConfig,
    relPath: string,
  ): Promise<{ etag: string; crc64: string }> {
    const from = { bucket: source.bucket, key: source.key };
    // The copy carries the new file's mtime and mode, as an upload of it would.
    const meta = fileMeta(fingerprint, Number(lstatSync(join(folder.path, relPath)).mode));
    // Test failpoint `copy-object-max:BYTES`: the part-by-part copy without a 1 GiB file.
    const copyObjectMax = Number(failpointValue('copy-object-max') ?? COPY_OBJECT_MAX);
    if (source.fingerprint.size <= copyObjectMax) await this.o.storage.copyObject(from, target, { meta });
    else await this.copyInParts(from, target, source.fingerprint.size, meta, folder);
    const head = await this.o.storage.head(target);
    if (head?.crc64 !== source.crc64 || head.size !== source.fingerprint.size) {
      throw new Error(`the copy holds CRC-64 ${head?.crc64 ?? 'none'}, not the ${source.crc64} recorded for its source`);
    }
    return { etag: head.etag, crc64: head.crc64 };
  }

  /** Initiate, UploadPartCopy each part, Complete; aborted on any failure (nothing is left to resume). */
  private async copyInParts(
    from: ObjectRef,
    target: ObjectRef,
    size: number,
    meta: Record<string, string>,
    folder: FolderConfig,
  ): Promise<void> {
    const storage = this.o.storage;
    const uploadId = await storage.initMultipart(target, { meta, ...(folder.storageClass ? { storageClass: folder.storageClass } : {}) });
    try {
      const parts = [];
      for (const part of planParts(size, choosePartSize(size, folder.partSize))) {
        const range = { start: part.start, end: part.start + part.size - 1 };
        const { etag } = await storage.uploadPartCopy(target, uploadId, part.partNumber, from, range);
        parts.push({ partNumber: part.partNumber, etag });
      }
      await storage.completeMultipart(target, uploadId, parts);
    } catch (err) {
      await storage.abortMultipart(target, uploadId).catch(() => undefined);
      throw err;
    }
  }
}
