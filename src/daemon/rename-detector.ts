import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import type { FolderConfig } from '../config/index.js';
import { failpointValue } from '../lib/failpoint.js';
import { isDatabaseUnwritable, type FileRow, type Fingerprint, type RemovedFile, type StateStore } from '../store/index.js';
import { choosePartSize, fileMeta, planParts, storageErrorCode, type ObjectRef, type ObjectStorage } from '../uploader/index.js';
import type { Logger } from '../lib/logger.js';
import { renameMemoryMs } from './delete-guard.js';

export interface RenameDetectorOptions {
  store: StateStore;
  storage: ObjectStorage;
  logger: Logger;
  /** The settle window, which sets how far back a vanished file can be the source of a copy (renameMemoryMs). */
  settleMs: number;
}

/** OSS copies objects up to 1 GiB with CopyObject; larger ones part by part (UploadPartCopy). */
export const COPY_OBJECT_MAX = 1024 ** 3;
/** A mirror delete of a copy's source waits at least this long, while the copy is made and checked. */
const COPY_HOLD_MS = 10 * 60_000;

/**
 * Renames and moves without re-upload: a new file whose identity (device, inode, size, mtime) is that
 * of a file that vanished lately (RemovedFiles) is copied on OSS from the vanished file's object. The
 * copy counts only once a HEAD of it shows the CRC-64 recorded for the source; anything else falls
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
    // extra headers into x-oss-copy-source-*): an unencrypted copy of an encrypted backup is worse.
    if (folder.encryption !== undefined || folder.tags !== undefined) return false;
    const fingerprint = fingerprintOf(row);
    const now = Date.now();
    const source = this.o.store.removed.sourceFor(row.bucket, row.key, fingerprint, now - renameMemoryMs(this.o.settleMs));
    if (!source) return false;
    const pendingDelete = this.o.store.queue.find(source.folder, source.relPath);
    const dueAt = pendingDelete?.state === 'deleting' ? pendingDelete.nextAttemptAt : undefined;
    if (dueAt !== undefined) this.o.store.queue.scheduleDelete(source.folder, source.relPath, Math.max(dueAt, now + COPY_HOLD_MS), now);
    const target = { bucket: row.bucket, key: row.key };
    const where = { folder: row.folder, path: row.relPath, from: `oss://${source.bucket}/${source.key}` };
    try {
      const copied = await this.copyChecked(source, target, row, folder);
      // The file must still be the one copied: same identity now as when it was observed.
      const now2 = lstatSync(join(folder.path, row.relPath), { bigint: true });
      if (now2.ino !== row.ino || now2.dev !== row.dev || Number(now2.size) !== row.size || now2.mtimeNs !== row.mtimeNs) return false;
      this.o.store.queue.markVerified(row.id, row.generation, { ...target, ...copied, fingerprint });
      this.o.store.removed.forget(source.folder, source.relPath);
      this.o.logger.info('moved on OSS without re-upload (server-side copy)', {
        ...where,
        key: `oss://${row.bucket}/${row.key}`,
        bytes: row.size,
      });
      return true;
    } catch (err) {
      if (isDatabaseUnwritable(err)) throw err;
      this.o.logger.warn('server-side copy failed; uploading the file instead', { ...where, error: err as Error });
      return false;
    } finally {
      if (dueAt !== undefined) this.o.store.queue.scheduleDelete(source.folder, source.relPath, dueAt);
    }
  }

  /** Copies and checks the copy by CRC-64 against what was recorded for the source. */
  private async copyChecked(
    source: RemovedFile,
    target: ObjectRef,
    row: FileRow,
    folder: FolderConfig,
  ): Promise<{ etag: string; crc64: string }> {
    const from = { bucket: source.bucket, key: source.key };
    // The copy carries the new file's mtime and mode, as an upload of it would.
    const meta = fileMeta(fingerprintOf(row), Number(lstatSync(join(folder.path, row.relPath)).mode));
    // Test failpoint `copy-object-max:BYTES`: the part-by-part copy without a 1 GiB file (a size limit: no outside condition moves it).
    const copyObjectMax = Number(failpointValue('copy-object-max') ?? COPY_OBJECT_MAX);
    if (source.fingerprint.size <= copyObjectMax) await this.o.storage.copyObject(from, target, { meta });
    else await this.copyInParts(from, target, row, meta, folder);
    const head = await this.o.storage.head(target);
    if (head?.crc64 !== source.crc64 || head.size !== source.fingerprint.size) {
      throw new Error(`the copy holds CRC-64 ${head?.crc64 ?? 'none'}, not the ${source.crc64} recorded for its source`);
    }
    return { etag: head.etag, crc64: head.crc64 };
  }

  /**
   * Initiate, UploadPartCopy each part, Complete. Crash-safe like an upload: the upload ID is committed
   * to the uploads table (for the new file's row) before the first part copy, so a kill -9 midway
   * leaves a recorded upload, never an orphan: the next copy of the row resumes it (the whole copy is
   * checked by CRC-64, so a wrong part only fails it), else the uploader resumes it or cleanup aborts
   * it. A failure aborts it and forgets the record.
   */
  private async copyInParts(
    from: ObjectRef,
    target: ObjectRef,
    row: FileRow,
    meta: Record<string, string>,
    folder: FolderConfig,
  ): Promise<void> {
    const { storage, store } = this.o;
    const size = row.size;
    const partSize = choosePartSize(size, folder.partSize);
    const planned = planParts(size, partSize);
    const onServer = await this.interruptedCopy(target, row, partSize, planned.length);
    let uploadId = onServer?.uploadId;
    if (uploadId === undefined) {
      uploadId = await storage.initMultipart(target, { meta, ...(folder.storageClass ? { storageClass: folder.storageClass } : {}) });
      store.uploads.begin(row.id, {
        uploadId,
        ...target,
        partSize,
        partCount: planned.length,
        fingerprint: fingerprintOf(row),
        createdAt: Date.now(),
      });
    }
    try {
      const parts = [];
      for (const part of planned) {
        const listed = onServer?.parts.get(part.partNumber);
        if (listed?.size === part.size) {
          parts.push({ partNumber: part.partNumber, etag: listed.etag });
          continue;
        }
        const range = { start: part.start, end: part.start + part.size - 1 };
        const { etag } = await storage.uploadPartCopy(target, uploadId, part.partNumber, from, range);
        parts.push({ partNumber: part.partNumber, etag });
      }
      await storage.completeMultipart(target, uploadId, parts);
    } catch (err) {
      await storage.abortMultipart(target, uploadId).catch(() => undefined);
      throw err;
    } finally {
      // Completed or aborted: nothing is left to resume (a kill before this line: the next copy finds
      // the upload gone on the server, NoSuchUpload, and starts afresh).
      store.uploads.forget(uploadId);
    }
  }

  /** The upload a killed copy (or upload) of this row left with the same plan, and the parts the server holds for it. */
  private async interruptedCopy(
    target: ObjectRef,
    row: FileRow,
    partSize: number,
    partCount: number,
  ): Promise<{ uploadId: string; parts: Map<number, { size: number; etag: string }> } | undefined> {
    const recorded = this.o.store.uploads.forFile(row.id);
    const fp = fingerprintOf(row);
    if (
      !recorded ||
      recorded.bucket !== target.bucket ||
      recorded.key !== target.key ||
      recorded.partSize !== partSize ||
      recorded.partCount !== partCount ||
      (Object.keys(fp) as Array<keyof Fingerprint>).some((k) => recorded.fingerprint[k] !== fp[k])
    ) {
      return undefined;
    }
    try {
      const listed = await this.o.storage.listParts(target, recorded.uploadId);
      return { uploadId: recorded.uploadId, parts: new Map(listed.map((p) => [p.partNumber, p])) };
    } catch (err) {
      if (storageErrorCode(err) !== 'NoSuchUpload') throw err;
      this.o.store.uploads.forget(recorded.uploadId);
      return undefined;
    }
  }
}

function fingerprintOf(row: FileRow): Fingerprint {
  return { size: row.size, mtimeNs: row.mtimeNs, ino: row.ino, dev: row.dev };
}
