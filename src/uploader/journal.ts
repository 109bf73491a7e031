import type { FileIdentity } from './folder-file.js';
import type { ListedPart } from './object-storage.js';

/**
 * What the uploader needs from durable storage, per file being uploaded (the daemon's is the state store).
 *
 * Crash-safety contract (every method is durable when it returns; fileUploaded may instead return a
 * promise, and is durable when that resolves, so an implementation can commit several files at once):
 * - uploadStarted() is called, and returns, before the first part of that upload is sent.
 * - partAcknowledged() is called right after the server acknowledged a part (ETag checked), before
 *   that part counts as done.
 * - fileUploaded() is called only after Complete (or PutObject) succeeded and the object was verified
 *   (for a file that grew meanwhile, as a prefix snapshot: outcome.prefixSnapshot); it forgets the
 *   multipart record and marks the file done in ONE transaction, so a crash leaves either "upload
 *   recorded, all parts acked" (resume finds the completed object) or "file done", never neither.
 * - objectReplacing() is called, and returns (durably), before any request that may replace the
 *   object at the key is sent (PutObject, CompleteMultipartUpload): whatever the journal remembers
 *   about the object there (its size and checksums) may be false from then on, until fileUploaded()
 *   records what was verified. A request that failed, timed out or was rejected may still have
 *   replaced the object, so "forget first, record once verified" is the only safe order.
 */
export interface FileFingerprint extends FileIdentity {
  size: number;
  /** Modification time in nanoseconds since the epoch. */
  mtimeNs: bigint;
}

/** A part as the server acknowledged it (its ETag exactly as OSS returned it), with its CRC-64/XZ as a decimal string. */
export interface RecordedPart extends ListedPart {
  crc64: string;
}

export interface RecordedUpload {
  uploadId: string;
  bucket: string;
  key: string;
  partSize: number;
  partCount: number;
  /** The file as it was when the upload began; a resume with a different file starts over. */
  fingerprint: FileFingerprint;
  /** ms since the epoch */
  createdAt: number;
  parts: RecordedPart[];
}

export interface UploadOutcome {
  bucket: string;
  key: string;
  size: number;
  etag: string;
  crc64: string;
  /** The fingerprint of the file whose bytes were uploaded. */
  fingerprint: FileFingerprint;
  /** The multipart upload this object came from, if any (to be forgotten with the file marked done). */
  uploadId?: string;
  /**
   * The file grew (or was touched) while it was uploaded, and the object is a true prefix snapshot
   * of it (see isPrefixSnapshot): its first `size` bytes, which `fingerprint` describes (the file as
   * it was when the upload began). The file has (or may have) newer bytes: it is not done.
   */
  prefixSnapshot?: true;
}

/**
 * An upload's verified outcome, and fileUploaded's promise of its record: the file is durably done only
 * once `committed` resolves, so the caller can start the next file while this one's commit waits.
 */
export interface UploadResult extends UploadOutcome {
  committed: Promise<void>;
}

export interface UploadJournal {
  /** The multipart upload recorded for this file, with its acknowledged parts, if any. */
  recordedUpload(): RecordedUpload | undefined;
  uploadStarted(upload: Omit<RecordedUpload, 'parts'>): void;
  partAcknowledged(uploadId: string, part: RecordedPart): void;
  /** The upload was aborted or no longer exists on the server: forget it and its parts. */
  uploadAbandoned(uploadId: string): void;
  /** A PutObject or Complete to this file's key is about to be sent: forget what the object held (durably). */
  objectReplacing(): void;
  fileUploaded(outcome: UploadOutcome): void | Promise<void>;
}
