/**
 * Statements that read fingerprints run with safeIntegers (mtime in ns and inode numbers do not
 * fit a double), so every integer column arrives as a bigint; these helpers turn a raw row into
 * the typed shape, keeping bigints only where they are needed.
 */
import type { FileRow, FileState } from './types.js';

type RawRow = Record<string, unknown>;

export function num(value: unknown): number {
  return typeof value === 'bigint' ? Number(value) : (value as number);
}

export function numOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : num(value);
}

export function toFileRow(r: RawRow): FileRow {
  return {
    id: num(r.id),
    folder: r.folder as string,
    relPath: r.rel_path as string,
    size: num(r.size),
    mtimeNs: r.mtime_ns as bigint,
    ino: r.ino as bigint,
    dev: r.dev as bigint,
    bucket: r.bucket as string,
    key: r.remote_key as string,
    state: r.state as FileState,
    generation: num(r.generation),
    attempts: num(r.attempts),
    lastError: (r.last_error as string | null) ?? null,
    nextAttemptAt: num(r.next_attempt_at),
    queuedAt: numOrNull(r.queued_at),
    startedAt: numOrNull(r.started_at),
    uploadedAt: numOrNull(r.uploaded_at),
    bytesDone: num(r.bytes_done),
    remoteEtag: (r.remote_etag as string | null) ?? null,
    remoteCrc64: (r.remote_crc64 as string | null) ?? null,
    remoteSize: numOrNull(r.remote_size),
    ...(r.has_upload === undefined ? {} : { hasUpload: num(r.has_upload) !== 0 }),
  };
}
