import { finished } from 'node:stream/promises';
import { BufferedFileRange } from './buffered-file-range.js';
import { FileChangedError, IntegrityError, localFileError, UploadAbortedError } from './errors.js';
import type { FileUploaderOptions } from './file-uploader.js';
import type { FolderFile } from './folder-file.js';
import type { FileFingerprint, UploadJournal, UploadOutcome, UploadResult } from './journal.js';
import { fingerprintChange, fingerprintOf } from './file-snapshot.js';
import type { NewObjectOptions, ObjectRef, ObjectStorage, StoredChecksums } from './object-storage.js';

/** FileUploader's options with every default filled in (see FileUploaderOptions for meanings). */
export type UploaderSettings = Required<Omit<FileUploaderOptions, 'memoryBudget'>> & Pick<FileUploaderOptions, 'memoryBudget'>;

/** Everything one upload() call works with. */
export interface UploadContext {
  storage: ObjectStorage;
  /** The file as every read after the first must open it: below its folder root, this inode only. */
  file: FolderFile;
  ref: ObjectRef;
  journal: UploadJournal;
  /** The file as stat'ed when this upload() began. */
  fingerprint: FileFingerprint;
  signal: AbortSignal | undefined;
  newObject: NewObjectOptions;
  settings: UploaderSettings;
  /** Bytes of this file now acknowledged by the server. */
  reportProgress(bytesDone: number): void;
}

/** A request's deadline: a minute, plus its body at the slowest bandwidth we accept (1 MiB/s). */
export function requestTimeoutMs(bodyBytes = 0): number {
  return 60_000 + Math.ceil((bodyBytes / (1024 * 1024)) * 1000);
}

/** Sends of a part (or PutObject) whose checksums come back wrong before the file fails. */
const INTEGRITY_ATTEMPTS = 3;

/**
 * Send a body (send() opens it) until the CRC-64 the server answers (OSS does on every PutObject and
 * UploadPart) matches the one computed while it streamed, at most INTEGRITY_ATTEMPTS times.
 * The CRC-64 alone is the check: the ETag is opaque, and an answer without a CRC-64 is not trusted.
 */
export async function sendVerified(
  what: string,
  body: { digest(): string },
  send: () => Promise<StoredChecksums>,
): Promise<{ stored: StoredChecksums; crc64: string }> {
  for (let attempt = 1; ; attempt++) {
    const stored = await send();
    const crc64 = body.digest();
    if (stored.crc64 === crc64) return { stored, crc64 };
    if (attempt >= INTEGRITY_ATTEMPTS) throw new IntegrityError(`${what} (CRC-64)`, crc64, stored.crc64 ?? '(none)');
  }
}

/**
 * Whether the file changed since the upload began, asked once its bytes are sent: they were read over
 * time, so only a file unchanged since the start is one consistent snapshot (false), or one whose
 * first N bytes still are what was sent (true: a log that grew, a true prefix snapshot, see
 * isPrefixSnapshot). Anything else (rewritten in place, truncated, replaced) is a FileChangedError:
 * the object must not be recorded, or (multipart) completed into a torn mix.
 */
export async function grewSinceStart(ctx: UploadContext, sentCrc64: string): Promise<boolean> {
  const change = fingerprintChange(ctx.fingerprint, await fingerprintOf(ctx.file));
  if (change && !(await isPrefixSnapshot(ctx.file, ctx.fingerprint, sentCrc64))) throw new FileChangedError(ctx.file.path, change);
  return change !== undefined;
}

/**
 * Whether what an upload sent is a true prefix snapshot of a file that changed while it was read: the
 * same inode, at least N bytes long (`before.size`), and its first N bytes, read again now, have the
 * CRC-64 of the bytes sent. Sound because the bytes sent equal the file's first N bytes as they are
 * after every read that went into them: a file that only grows (a log) never changes them, so the
 * object is what the file held at N bytes. Rewritten in place fails the CRC, truncated or replaced
 * the size or inode: FileChangedError, never a snapshot. Costs one more read, only for a changed file.
 */
export async function isPrefixSnapshot(file: FolderFile, before: FileFingerprint, sentCrc64: string): Promise<boolean> {
  // Read as every upload read is (no link, a regular file only), and only the inode that was sent.
  const target = { ...file, expected: { ino: before.ino, dev: before.dev } };
  try {
    const prefix = new BufferedFileRange(target, 0, before.size);
    await finished(prefix.open().resume()); // shorter now: FileChangedError, so not a snapshot
    return prefix.digest() === sentCrc64;
  } catch {
    return false; // gone, replaced or unreadable: the caller's FileChangedError leads to the real reason
  }
}

/** The object is verified: recorded through the journal (fileUploaded), and the whole file reported acknowledged. */
export function recordUploaded(
  ctx: UploadContext,
  { prefixSnapshot, ...stored }: { etag: string; crc64: string; uploadId?: string; prefixSnapshot: boolean },
): UploadResult {
  const { size } = ctx.fingerprint;
  const outcome: UploadOutcome = {
    ...ctx.ref,
    size,
    fingerprint: ctx.fingerprint,
    ...stored,
    ...(prefixSnapshot ? { prefixSnapshot } : {}),
  };
  const committed = Promise.resolve(ctx.journal.fileUploaded(outcome));
  ctx.reportProgress(size);
  return { ...outcome, committed };
}

/** An ETag as bare uppercase hex: OSS quotes it, some proxies change the case. */
export function etagHex(etag: string): string {
  return etag.replace(/"/g, '').toUpperCase();
}

/**
 * Object metadata that restore gives back to the file: the mtime in ns since the epoch (decimal) and the
 * permission bits as octal ('644', '4755': recorded whole, restore decides which bits it applies).
 */
export function fileMeta(fingerprint: FileFingerprint, mode: number): Record<string, string> {
  return { mtime: fingerprint.mtimeNs.toString(), mode: (mode & 0o7777).toString(8) };
}

/** Any failure as the caller should see it: aborted uploads, vanished or unreadable files typed. */
export function typedFailure(localPath: string, signal: AbortSignal | undefined, err: unknown): unknown {
  if (err instanceof UploadAbortedError) return err;
  if (signal?.aborted) return new UploadAbortedError(localPath);
  return localFileError(localPath, err);
}
