import { EventEmitter } from 'node:events';
import type { UploadJournal, UploadResult } from './journal.js';
import { failpointValue } from '../lib/failpoint.js';
import { fingerprintChange, snapshotFile, type FileSnapshot } from './file-snapshot.js';
import type { FileIdentity } from './folder-file.js';
import type { MemoryBudget } from './memory-budget.js';
import { MultipartUpload, abandonUpload } from './multipart-upload.js';
import type { NewObjectOptions, ObjectStorage } from './object-storage.js';
import { MIN_PART_SIZE } from './part-plan.js';
import { InMemoryBody } from './in-memory-body.js';
import { fileMeta, grewSinceStart, recordUploaded, requestTimeoutMs, sendVerified, typedFailure } from './upload-context.js';
import type { UploadContext, UploaderSettings } from './upload-context.js';

const MiB = 1024 * 1024;
/** Whole-file reads up to this size are not paid from the memory budget: in-flight files x 1 MiB at most. */
export const UNBUDGETED_PUT_BYTES = MiB;

export interface FileUploaderOptions {
  /** Default 8 MiB; raised per file so no file needs more than 10,000 parts, never below 100 KiB. */
  partSize?: number;
  /** Files smaller than this go up in one PutObject. Default 8 MiB, at least 100 KiB. */
  multipartThreshold?: number;
  /** Parts of one file in flight at once. Default 4. */
  partConcurrency?: number;
  /** The byte budget every buffered part is paid from, shared by all uploaders of a process (a reload's old and new). Default: none. */
  memoryBudget?: MemoryBudget;
}

/** What to upload where; the new object's headers as NewObjectOptions says (its meta is the file's). */
export interface UploadRequest extends Omit<NewObjectOptions, 'meta'> {
  localPath: string;
  bucket: string;
  key: string;
  journal: UploadJournal;
  /** Overrides the uploader's part size for a new upload (a resumed one keeps its recorded size). */
  partSize?: number;
  /** Stops the upload: rejects with UploadAbortedError, keeping acknowledged parts and the server's upload. */
  signal?: AbortSignal;
  /** The watched folder's root above localPath: no link below it is followed (see openFolderFile). The daemon always gives it. */
  folderRoot?: string;
  /** The file as it was queued (dev and inode the walk or watcher lstat'ed): any other file at localPath is refused. */
  expectedIdentity?: FileIdentity;
}

export interface ProgressEvent {
  localPath: string;
  bucket: string;
  key: string;
  /** Bytes acknowledged by the server (recorded), not merely sent. */
  bytesDone: number;
  bytesTotal: number;
}

/**
 * Uploads one local file to one key, crash-safely: PutObject below the threshold, otherwise a multipart
 * upload recorded part by part in the caller's journal, resumed from it after a restart.
 * Give it a storage wrapped by withRetries(): it does not retry requests itself.
 *
 * Rejects with FileChangedError (re-queue; FileReplacedError: another inode than expected, its
 * `found` to record first), FileGoneError (drop; FileRefusedError: a link, FIFO or device where the
 * file was), UploadAbortedError (shutdown), IntegrityError, TransientFileError (retry later),
 * PermanentError/FatalError or StorageError (see classifyError()).
 */
export class FileUploader extends EventEmitter<{ progress: [ProgressEvent] }> {
  private readonly settings: UploaderSettings;

  constructor(
    private readonly storage: ObjectStorage,
    options: FileUploaderOptions = {},
  ) {
    super();
    this.settings = {
      partSize: Math.max(options.partSize ?? 8 * MiB, MIN_PART_SIZE),
      multipartThreshold: Math.max(options.multipartThreshold ?? 8 * MiB, MIN_PART_SIZE),
      partConcurrency: Math.max(1, Math.floor(options.partConcurrency ?? 4)),
      memoryBudget: options.memoryBudget,
    };
  }

  async upload(request: UploadRequest): Promise<UploadResult> {
    try {
      return await this.run(request);
    } catch (err) {
      throw typedFailure(request.localPath, request.signal, err);
    }
  }

  private async run(request: UploadRequest): Promise<UploadResult> {
    request.signal?.throwIfAborted();
    const inMemoryLimit = this.settings.multipartThreshold - 1;
    // Test failpoint: SIGSTOP here, for a test to swap the file, then SIGCONT (exact; the emulator can hold a request only for fixed ms).
    if (failpointValue('before-file-open') === 'stop') process.kill(process.pid, 'SIGSTOP');
    const target = { path: request.localPath, root: request.folderRoot, expected: request.expectedIdentity };
    let { fingerprint, bytes, mode } = snapshotFile(target, Math.min(inMemoryLimit, UNBUDGETED_PUT_BYTES));
    // Invariant: a PutObject is only ever sent from memory. It replaces the object the moment it is
    // stored and cannot be made conditional, so a file streamed while rewritten in place would replace
    // the good object with a mix of old and new bytes. Read whole (checked unchanged across the read)
    // it goes up as one consistent snapshot, paid from the memory budget above 1 MiB; a file the
    // budget can never hold goes up in parts, whose Complete comes only after the file is checked.
    let held = 0;
    const budget = this.settings.memoryBudget;
    try {
      if (
        bytes === undefined &&
        fingerprint.size <= inMemoryLimit &&
        (!budget || (await budget.acquire(fingerprint.size, request.signal)))
      ) {
        held = fingerprint.size;
        // At most the bytes paid for: a file that grew while we waited is never read past them.
        ({ fingerprint, bytes, mode } = snapshotFile({ ...target, expected: { dev: fingerprint.dev, ino: fingerprint.ino } }, held));
        if (bytes === undefined) {
          budget?.release(held); // grew meanwhile: parts then
          held = 0;
        }
      }
      return await this.send(request, { fingerprint, bytes, mode });
    } finally {
      if (held > 0) budget?.release(held);
    }
  }

  private async send(request: UploadRequest, { fingerprint, bytes, mode }: FileSnapshot): Promise<UploadResult> {
    const ref = { bucket: request.bucket, key: request.key };
    const ctx: UploadContext = {
      storage: this.storage,
      // Every later read (parts, the final stat) must find this very inode.
      file: { path: request.localPath, root: request.folderRoot, expected: { dev: fingerprint.dev, ino: fingerprint.ino } },
      ref,
      journal: request.journal,
      fingerprint,
      signal: request.signal,
      newObject: {
        storageClass: request.storageClass,
        meta: fileMeta(fingerprint, mode),
        encryption: request.encryption,
        tags: request.tags,
      },
      settings: { ...this.settings, partSize: request.partSize ?? this.settings.partSize },
      reportProgress: (bytesDone) =>
        this.emit('progress', { localPath: request.localPath, ...ref, bytesDone, bytesTotal: fingerprint.size }),
    };

    const recorded = request.journal.recordedUpload();
    if (recorded) {
      const moved = recorded.bucket !== ref.bucket || recorded.key !== ref.key;
      const change = moved ? 'destination changed' : fingerprintChange(recorded.fingerprint, fingerprint);
      if (!change) return MultipartUpload.resume(ctx, recorded);
      await abandonUpload(ctx, { bucket: recorded.bucket, key: recorded.key }, recorded.uploadId);
    }
    // Checked again after the request only when it was long enough for a writer to matter.
    if (bytes !== undefined) return putFile(ctx, bytes, bytes.length > UNBUDGETED_PUT_BYTES);
    return MultipartUpload.start(ctx);
  }
}

/**
 * A small file in one PutObject, sent from memory: `snapshot` is its content, read whole and checked
 * unchanged across the read (see snapshotFile). `recheck`: stat the file again once the object is
 * stored; a file changed meanwhile is not marked done: the object holds a consistent earlier version
 * (or a true prefix snapshot of a file that only grew), and the re-queued upload replaces it.
 */
async function putFile(ctx: UploadContext, snapshot: Buffer, recheck: boolean): Promise<UploadResult> {
  const { storage, ref, fingerprint } = ctx;
  const body = new InMemoryBody(snapshot);
  // Invariant: the object's recorded checksums are forgotten (durably) before a PutObject is sent.
  // Once sent, the object may hold these bytes even if we never hear back.
  ctx.journal.objectReplacing();
  const { stored, crc64 } = await sendVerified(`PutObject oss://${ref.bucket}/${ref.key}`, body, () =>
    storage.put(ref, body, { ...ctx.newObject, signal: ctx.signal, timeoutMs: requestTimeoutMs(fingerprint.size) }),
  );
  const prefixSnapshot = recheck && (await grewSinceStart(ctx, crc64));
  return recordUploaded(ctx, { etag: stored.etag, crc64, prefixSnapshot });
}
