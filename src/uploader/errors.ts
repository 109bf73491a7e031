import type { FileIdentity } from './folder-file.js';
import type { FileFingerprint } from './journal.js';

/**
 * Error classes of the uploader: retry control (after rclone's fserrors) and outcomes the caller acts on.
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
}

/** Permanent for every upload, not only this one: wrong credentials, missing bucket. */
export class FatalError extends PermanentError {
  override name = 'FatalError';
}

/** The file changed (size, mtime or inode) while or since it was uploaded: re-queue it. */
export class FileChangedError extends Error {
  override readonly name: string = 'FileChangedError';
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`${path} changed during upload (${reason}); not marked done`);
  }
}

/**
 * The path holds another regular file (inode or device) than the one queued, or the one this upload
 * began with: nothing of it was sent. `found` is for the caller to record (its row is stale) first.
 */
export class FileReplacedError extends FileChangedError {
  override readonly name: string = 'FileReplacedError';
  constructor(
    path: string,
    readonly found: FileFingerprint,
    expected: FileIdentity,
  ) {
    super(
      path,
      `replaced by another file: inode ${found.ino} on device ${found.dev}, expected inode ${expected.ino} on device ${expected.dev}`,
    );
  }
}

/**
 * A local read failed for a reason that may pass (EMFILE, ENFILE, EIO, ESTALE, EBUSY, EAGAIN...):
 * retried with back-off, never parked at once. `code` is the errno name.
 */
export class TransientFileError extends Error {
  override readonly name = 'TransientFileError';
  constructor(
    readonly path: string,
    readonly code: string,
    options: { cause: unknown },
  ) {
    super(`cannot read ${path}: ${code} (may pass; retried)`, options);
  }
}

/** The file no longer exists: nothing to upload. */
export class FileGoneError extends Error {
  override readonly name: string = 'FileGoneError';
  constructor(
    readonly path: string,
    message = `${path} no longer exists`,
  ) {
    super(message);
  }
}

/**
 * The path no longer leads, without a link, to a regular file: a symlink, a FIFO, a device or a
 * directory is where the file was, or a directory on its path below the folder root is a link.
 * Nothing was read. It counts as gone: the walk, which follows no link and lists regular files
 * only, sees no file there either, and judges the path again (never parked).
 */
export class FileRefusedError extends FileGoneError {
  override readonly name: string = 'FileRefusedError';
  constructor(
    path: string,
    readonly reason: string,
  ) {
    super(path, `refused to read ${path}: ${reason}; not uploaded, treated as gone`);
  }
}

/** upload() was cancelled through its AbortSignal; acknowledged parts stay recorded for a resume. */
export class UploadAbortedError extends Error {
  override readonly name = 'UploadAbortedError';
  constructor(readonly path: string) {
    super(`upload of ${path} was aborted`);
  }
}

/** What the server stored is not what we sent (its CRC-64 differs, or it gave none). */
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

/** The errnos no retry can fix, as the message names them (see localFileError). */
const PERMANENT_FILE_ERRORS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENAMETOOLONG: 'path too long',
  ELOOP: 'too many levels of symbolic links',
};

/**
 * File-system errors as the uploader reports them; anything else (already typed, or not a file-system
 * error) unchanged. Missing: FileGoneError. No retry can fix: PermanentError. Any other errno (EMFILE,
 * EIO, ESTALE...): TransientFileError, retried with back-off, so a passing shortage never parks a file.
 */
export function localFileError(path: string, err: unknown): unknown {
  if (err instanceof FileGoneError || err instanceof FileChangedError || err instanceof PermanentError || err instanceof TransientFileError)
    return err;
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return new FileGoneError(path);
  if (code === 'EISDIR') return new PermanentError(`${path} is a directory`, { cause: err });
  if (typeof code === 'string' && Object.hasOwn(PERMANENT_FILE_ERRORS, code)) {
    return new PermanentError(`cannot read ${path}: ${PERMANENT_FILE_ERRORS[code]} (${code})`, { cause: err });
  }
  if (typeof code === 'string' && typeof (err as { syscall?: unknown }).syscall === 'string') {
    return new TransientFileError(path, code, { cause: err });
  }
  return err;
}
