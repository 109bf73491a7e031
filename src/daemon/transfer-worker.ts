import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import type { FolderConfig } from '../config/index.js';
import { isDatabaseUnwritable, type FileRow, type StateStore } from '../store/index.js';
import {
  classifyError,
  isEndpointTrouble,
  FileChangedError,
  FileGoneError,
  FileRefusedError,
  FileReplacedError,
  PermanentError,
  StorageError,
  UploadAbortedError,
  type FileUploader,
  type UploadOutcome,
  type ObjectStorage,
} from '../uploader/index.js';
import { contentDigests } from './content-check.js';
import { LiveStreaks } from './live-backoff.js';
import type { Logger } from '../lib/logger.js';
import { objectKey } from './object-key.js';
import { storeJournal } from './store-journal.js';
import type { TaskDone } from './transfer-scheduler.js';
import type { VerifiedBatch } from './verified-batch.js';

/** A delete whose object a pending rename may still copy is asked again this much later (at once, it would come first again). */
const RENAME_TARGET_WAIT_MS = 1_000;

export interface TransferWorkerOptions {
  store: StateStore;
  uploader: FileUploader;
  storage: ObjectStorage;
  logger: Logger;
  folder: (name: string) => FolderConfig | undefined;
  maxAttempts: number;
  /** `run`: a file failing because the endpoint does (no answer, 5xx, SlowDown) keeps trying without using up its attempts. */
  outlastOutages: boolean;
  /** Group commit of finished files; one per daemon, so a worker replaced by a reload leaves none behind. */
  verified: VerifiedBatch;
  /** The first back-off of a file found changing during its upload (doubling while it stays live). */
  liveBackoffBaseMs: number;
  /** Called when a folder hits an error that every file of it would hit (bad credentials, no bucket). */
  onFatal: (folder: string, err: Error) => void;
  /** Where a state database that refused a write becomes fatal; any other error is thrown on. */
  onStoreError: (err: unknown) => void;
  /** A file OSS may already hold (no remote facts recorded): true when it was recorded so without an upload (a rename's copy). */
  serverSide?: (row: FileRow, folder: FolderConfig) => Promise<boolean>;
  /** A file is gone from disk: applies the folder's delete policy if it really was deleted (false: not judged now). */
  onGone: (folder: string, relPath: string, fileDev: bigint) => boolean;
}

/**
 * Runs one claimed row: uploads the file (or deletes the remote object of a mirror folder) and
 * turns the outcome into the row's next state. Never throws: every outcome is recorded.
 */
export class TransferWorker {
  /** Files being uploaded, by "bucket/key", so progress events land on the right row. */
  private readonly inFlight = new Map<string, number>();
  /** Files found changing during their uploads, tries in a row (the live back-off). */
  private readonly live: LiveStreaks;

  constructor(private readonly options: TransferWorkerOptions) {
    this.live = new LiveStreaks(options.liveBackoffBaseMs);
    options.uploader.on('progress', (e) => {
      const id = this.inFlight.get(`${e.bucket}/${e.key}`);
      // All bytes done: marking the file verified records that, one write instead of two.
      if (id !== undefined && e.bytesDone < e.bytesTotal) options.store.queue.setProgress(id, e.bytesDone);
    });
  }

  /** Resolves once the network work is over: with the promise of the file's (grouped) commit, if an object was verified. */
  readonly run = async (row: FileRow, signal: AbortSignal): Promise<TaskDone | void> => {
    const folder = this.options.folder(row.folder);
    if (!folder) {
      this.options.store.queue.requeue(row.id, null); // folder removed from the config meanwhile
      return;
    }
    try {
      if (row.state === 'deleting') await this.deleteRemote(row, folder);
      else return await this.upload(row, folder, signal);
    } catch (err) {
      this.failed(row, err);
    }
  };

  private failed(row: FileRow, err: unknown): void {
    try {
      this.recordFailure(row, err as Error);
    } catch (storeErr) {
      this.options.onStoreError(storeErr);
    }
  }

  private async upload(row: FileRow, folder: FolderConfig, signal: AbortSignal): Promise<TaskDone | void> {
    const localPath = join(folder.path, row.relPath);
    // The ambiguous change: the size OSS holds, but the mtime or inode moved (touch, `cp -p`, a save by
    // rename). Reading is far faster than uploading: the same CRC-64 as the verified object, nothing to send.
    if (row.remoteCrc64 !== null && row.remoteEtag !== null && row.remoteSize === row.size) {
      const file = { path: localPath, root: folder.path, expected: { dev: row.dev, ino: row.ino } };
      const digests = await contentDigests(file, row.remoteSize).catch(() => undefined); // undefined: changed while read
      if (digests?.crc64 === row.remoteCrc64) {
        this.options.store.queue.markVerified(row.id, row.generation, {
          bucket: row.bucket,
          key: row.key,
          etag: row.remoteEtag,
          crc64: row.remoteCrc64,
          fingerprint: digests.fingerprint,
        });
        this.options.logger.info('content unchanged (only mtime or inode moved); nothing to upload', {
          folder: row.folder,
          path: row.relPath,
        });
        return;
      }
    }
    if (row.remoteCrc64 === null && (await this.options.serverSide?.(row, folder))) return;
    const started = Date.now();
    const ref = `${row.bucket}/${row.key}`;
    this.inFlight.set(ref, row.id);
    const result = await this.options.uploader
      .upload({
        localPath,
        bucket: row.bucket,
        key: row.key,
        journal: storeJournal(this.options.store, row, this.options.verified, () => this.live.nextTryAt(row.id)),
        partSize: folder.partSize,
        ...(folder.storageClass ? { storageClass: folder.storageClass } : {}),
        encryption: folder.encryption,
        tags: folder.tags,
        signal,
        // Nothing outside the folder is read: no link below its root, and only the inode queued.
        folderRoot: folder.path,
        expectedIdentity: { dev: row.dev, ino: row.ino },
      })
      .finally(() => this.inFlight.delete(ref));
    return { committed: result.committed.then(() => this.uploaded(row, result, started)).catch((err: unknown) => this.failed(row, err)) };
  }

  /** The file's record is committed: log what went up. */
  private uploaded(row: FileRow, outcome: UploadOutcome, started: number): void {
    const fields = { folder: row.folder, path: row.relPath, key: `oss://${row.bucket}/${row.key}`, bytes: outcome.size };
    if (outcome.prefixSnapshot) {
      const nextTryInMs = Math.max(0, (this.options.store.queue.get(row.id)?.nextAttemptAt ?? 0) - Date.now());
      const message = 'uploaded a snapshot of a file still being written (its first bytes, a true prefix); the rest goes up later';
      this.options.logger.info(message, { ...fields, nextTryInMs });
      return;
    }
    this.live.end(row.id);
    this.options.logger.info('uploaded', { ...fields, ms: Date.now() - started, crc64: outcome.crc64 });
  }

  private async deleteRemote(row: FileRow, folder: FolderConfig): Promise<void> {
    // Invariant: a folder deletes only the object it would write for that path now. A row recorded
    // under another bucket, prefix or folder (the config changed since) may name another's object.
    const fields = { folder: row.folder, path: row.relPath, key: `oss://${row.bucket}/${row.key}` };
    if (row.bucket !== folder.bucket || row.key !== objectKey(folder.prefix, row.relPath)) {
      this.options.store.queue.deleted(row.id, row.generation);
      const message = 'not deleting a remote object this folder no longer writes (its bucket or prefix changed since)';
      this.options.logger.warn(`${message}; remove it by hand if unwanted`, fields);
      return;
    }
    // Invariant: the old key of a rename outlives the copy from it. A delete that falls due while its
    // new path still waits behind other work waits too, else the new path's bytes go up again in full.
    if (row.remoteCrc64 !== null && this.options.store.queue.renameTargetPending(row)) {
      this.options.store.queue.releaseDeleteLease(row.id, Date.now() + RENAME_TARGET_WAIT_MS);
      return;
    }
    const deleted = await this.options.storage.deleteObject({ bucket: row.bucket, key: row.key });
    this.options.store.queue.deleted(row.id, row.generation);
    this.options.logger.info('deleted remote object (mirror folder)', {
      ...fields,
      // A versioned bucket keeps the object's versions behind a delete marker: restore --at brings it back.
      ...(deleted.deleteMarker ? { deleteMarker: deleted.versionId ?? true } : {}),
    });
  }

  /**
   * The path holds something else now (a directory, a FIFO, a symlink): the file is gone and the delete
   * policy applies; what is there now is the walk's and watcher's business. Asked after a PermanentError
   * only, whose "not a regular file" would otherwise park the row as failed.
   */
  private replacedByNonFile(row: FileRow): boolean {
    const folder = this.options.folder(row.folder);
    if (!folder) return false;
    try {
      return !lstatSync(join(folder.path, row.relPath)).isFile();
    } catch {
      return false; // missing or unreadable: the error stands as it is
    }
  }

  private recordFailure(row: FileRow, err: Error): void {
    // A refused write leaves the row as it was (claimed rows are re-queued at the next start): nothing to record.
    if (isDatabaseUnwritable(err)) throw err;
    const queue = this.options.store.queue;
    const where = { folder: row.folder, path: row.relPath };
    if (err instanceof UploadAbortedError) {
      queue.requeue(row.id, null); // shutting down: acknowledged parts stay recorded for the resume
      return;
    }
    if (err instanceof FileReplacedError) {
      // Another file than the one queued is at the path: record it as the watcher would, then queue it
      // (re-queuing the stale row alone would only be refused again).
      queue.observe(row.folder, [{ relPath: row.relPath, bucket: row.bucket, key: row.key, ...err.found }]);
      this.options.logger.info('file replaced by another since it was queued; queued again as found', { ...where, reason: err.message });
      queue.requeue(row.id, null);
      return;
    }
    if (err instanceof FileChangedError) {
      // Back-off, doubling while it keeps changing under its uploads, so a live file costs bounded bandwidth.
      const nextTryAt = this.live.nextTryAt(row.id);
      this.options.logger.info('file changed during upload; queued again', { ...where, retryInMs: nextTryAt - Date.now() });
      queue.requeueChanged(row.id, row.generation, nextTryAt);
      return;
    }
    this.live.end(row.id);
    if (err instanceof FileGoneError || (err instanceof PermanentError && this.replacedByNonFile(row))) {
      if (err instanceof FileRefusedError)
        this.options.logger.warn('file not read: a link, FIFO or device is where it was; treated as gone', {
          ...where,
          reason: err.message,
        });
      if (this.options.onGone(row.folder, row.relPath, row.dev)) {
        this.options.logger.info('file vanished before it was uploaded', where);
      } else {
        // Its directory is gone or on another filesystem (unmounted?): look again later.
        queue.markRetry(
          row.id,
          row.generation,
          `${err.message}; its folder may be unmounted`,
          Date.now() + fileRetryDelayMs(row.attempts + 1),
        );
      }
      return;
    }
    const disposition = classifyError(err);
    if (disposition === 'fatal') {
      // Not this file's fault (credentials, bucket): it waits in the queue (status shows why) while
      // its folder rests, and goes up once the rest ends or a reload fixed the config; no `retry`.
      queue.markWaiting(row.id, row.generation, err.message);
      this.options.onFatal(row.folder, err);
      return;
    }
    // OSS said no for good (a bad request): park it. Unknown errors are retried below.
    if (disposition === 'permanent' && (err instanceof PermanentError || err instanceof StorageError)) {
      queue.markFailed(row.id, row.generation, err.message);
      this.options.logger.error('upload failed permanently; parked (run `oss-sync retry` after fixing the cause)', {
        ...where,
        error: err,
      });
      return;
    }
    const attempts = row.attempts + 1;
    // An outage is not the file's fault: in `run` only failures of its own use up max_attempts.
    if (attempts >= this.options.maxAttempts && !(this.options.outlastOutages && isEndpointTrouble(err))) {
      queue.markFailed(row.id, row.generation, `gave up after ${attempts} attempts: ${err.message}`);
      this.options.logger.error('upload failed too often; parked', { ...where, attempts, error: err });
      return;
    }
    const delay = fileRetryDelayMs(attempts);
    queue.markRetry(row.id, row.generation, err.message, Date.now() + delay);
    this.options.logger.warn('upload failed; will retry', { ...where, attempts, retryInMs: delay, error: err });
  }
}

/**
 * The wait before a file's next attempt after a retryable failure: exponential from 2 s, capped at
 * 10 min, with "equal jitter" (half random) so files that failed together do not come back together.
 */
export function fileRetryDelayMs(attempt: number, random: () => number = Math.random): number {
  const BASE_MS = 2_000;
  const CAP_MS = 10 * 60_000;
  const exp = Math.min(CAP_MS, BASE_MS * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp / 2 + random() * (exp / 2));
}
