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

export function big(value: unknown): bigint {
  return typeof value === 'bigint' ? value : BigInt(value as number);
}

export function toFileRow(r: RawRow): FileRow {
  return {
    id: num(r.id),
    folder: r.folder as string,
    relPath: r.rel_path as string,
    size: num(r.size),
    mtimeNs: big(r.mtime_ns),
    ino: big(r.ino),
    dev: big(r.dev),
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

/**
 * A file's identity and path as one string, `size:seconds:ino/relPath`: what a reconcile walk
 * compares with FileQueue.reconcileKeys(). The fingerprint has no '/', so the path starts after the
 * first one. The mtime is written as GNU find's `%T@` writes it (epochSeconds()), so that a walk by
 * find gets keys straight from find's output, with no parsing per file.
 */
export function reconcileKey(size: number | bigint, mtimeNs: bigint, ino: bigint, relPath: string): string {
  return `${size}:${epochSeconds(mtimeNs)}:${ino}/${relPath}`;
}

const NS_PER_SECOND = 1_000_000_000n;

/**
 * Nanoseconds since the epoch as seconds with ten decimals: the floored seconds, a '.', nine
 * digits of nanoseconds and a '0' (1795612485676948431n -> '1795612485.6769484310'; before 1970
 * the seconds are negative and the fraction is not: -1n -> '-1.9999999990'). Exact, unlike a double.
 * FileQueue.reconcileKeys() writes the same text in SQL.
 */
export function epochSeconds(ns: bigint): string {
  const digits = ns.toString();
  // The common case by string: at least one second after the epoch.
  if (digits.length > 9 && ns > 0n) return `${digits.slice(0, -9)}.${digits.slice(-9)}0`;
  let seconds = ns / NS_PER_SECOND; // truncates toward zero
  if (ns < 0n && seconds * NS_PER_SECOND !== ns) seconds -= 1n;
  return `${seconds}.${String(ns - seconds * NS_PER_SECOND).padStart(9, '0')}0`;
}

/** The inverse of epochSeconds(); undefined for text not in its shape. */
export function nsOfEpochSeconds(text: string): bigint | undefined {
  const match = /^(-?\d+)\.(\d{9})0$/.exec(text);
  return match ? BigInt(match[1]!) * NS_PER_SECOND + BigInt(match[2]!) : undefined;
}

/** The path part of a reconcileKey(). */
export function relPathOfReconcileKey(key: string): string {
  return key.slice(key.indexOf('/') + 1);
}
