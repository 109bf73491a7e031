/** Row shapes of the state database, as the rest of the program sees them. */

/**
 * queued    -> waiting (next_attempt_at says when; a retry waits with back-off)
 * uploading -> claimed by a worker of the running daemon
 * verified  -> the object is on OSS, complete, and its CRC64 matched the file
 * failed    -> parked after too many attempts or a permanent error; `retry` re-queues it
 * deleting  -> a mirror folder lost the file: the remote object is to be deleted
 */
export type FileState = 'queued' | 'uploading' | 'verified' | 'failed' | 'deleting';

export interface Fingerprint {
  size: number;
  mtimeNs: bigint;
  ino: bigint;
  dev: bigint;
}

/** A file as seen on disk by a walk or the watcher, with where it must go. */
export interface Observation extends Fingerprint {
  relPath: string;
  bucket: string;
  key: string;
}

export interface FileRow extends Observation {
  id: number;
  folder: string;
  state: FileState;
  /** Bumped on every observed change; a worker's result only counts for the generation it started. */
  generation: number;
  attempts: number;
  lastError: string | null;
  nextAttemptAt: number;
  queuedAt: number | null;
  startedAt: number | null;
  uploadedAt: number | null;
  bytesDone: number;
  remoteEtag: string | null;
  remoteCrc64: string | null;
  /** Size of the object last verified on OSS (its content is remoteCrc64). */
  remoteSize: number | null;
  /** Whether a multipart upload is recorded for the file, where the query asked (claimDue does). */
  hasUpload?: boolean;
}

export interface UploadRecord {
  uploadId: string;
  fileId: number | null;
  bucket: string;
  key: string;
  partSize: number;
  partCount: number;
  fingerprint: Fingerprint;
  createdAt: number;
}

export interface PartRecord {
  partNumber: number;
  size: number;
  etag: string;
  crc64: string;
}
