/**
 * Error classes of the uploader. Two families:
 * - retry control (after rclone's fserrors): PermanentError ("do not retry this"), FatalError ("stop every
 *   upload: credentials or bucket are wrong"), RetryAfterError ("retry, but not before ...").
 * - control flow the caller acts on: FileChangedError (re-queue), FileGoneError (drop), UploadAbortedError
 *   (shutdown), IntegrityError (checksum mismatch: never marked done).
 *
 * Messages are built from our own fields only (operation, bucket, key, OSS code, status, RequestId):
 * ali-oss errors can carry request params and headers, which may include the STS token.
 */

/** A failed OSS request, described without anything that could hold a secret. */
export class StorageError extends Error {
  override readonly name = 'StorageError';
  constructor(
    readonly operation: string,
    readonly bucket: string,
    readonly key: string,
    /** OSS error code (NoSuchUpload, SlowDown...), or the network error name (ResponseTimeoutError...). */
    readonly code: string | undefined,
    /** HTTP status; undefined or <= 0 when no response arrived. */
    readonly status: number | undefined,
    readonly requestId: string | undefined,
    /** A short human detail (the server's message or the socket error), secret-free. */
    readonly detail?: string,
  ) {
    super(
      `${operation} oss://${bucket}/${key} failed: ${code ?? 'unknown error'}` +
        (status !== undefined && status > 0 ? ` (HTTP ${status})` : '') +
        (detail ? `: ${detail}` : '') +
        (requestId ? ` [RequestId ${requestId}]` : ''),
    );
  }
}

/** Marker: do not retry (restic's backoff.Permanent). The message is the cause's. */
export class PermanentError extends Error {
  override name = 'PermanentError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Permanent for every upload, not only this one: wrong credentials, missing bucket. */
export class FatalError extends PermanentError {
  override name = 'FatalError';
}

/** Retry, but wait at least retryAfterMs (a server asking us to slow down). */
export class RetryAfterError extends Error {
  override readonly name = 'RetryAfterError';
  constructor(
    readonly retryAfterMs: number,
    options: { cause: unknown },
  ) {
    super(options.cause instanceof Error ? options.cause.message : `retry after ${retryAfterMs} ms`, options);
  }
}

/** The file changed (size, mtime or inode) while or since it was uploaded: re-queue it. */
export class FileChangedError extends Error {
  override readonly name = 'FileChangedError';
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`${path} changed during upload (${reason}); not marked done`);
  }
}

/** The file no longer exists: nothing to upload. */
export class FileGoneError extends Error {
  override readonly name = 'FileGoneError';
  constructor(readonly path: string) {
    super(`${path} no longer exists`);
  }
}

/** upload() was cancelled through its AbortSignal; acknowledged parts stay recorded for a resume. */
export class UploadAbortedError extends Error {
  override readonly name = 'UploadAbortedError';
  constructor(readonly path: string) {
    super(`upload of ${path} was aborted`);
  }
}

/** What the server stored is not what we sent (MD5 or CRC-64 differ). */
export class IntegrityError extends Error {
  override readonly name = 'IntegrityError';
  constructor(
    readonly what: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`${what}: checksum mismatch, expected ${expected}, server has ${actual}`);
  }
}

/** The OSS error code of err or of what it wraps, if any. */
export function storageErrorCode(err: unknown): string | undefined {
  for (let e = err; e instanceof Error; e = e.cause) {
    if (e instanceof StorageError) return e.code;
  }
  return undefined;
}
