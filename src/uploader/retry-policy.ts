import { TOKEN_REFUSED } from './credentials-provider.js';
import { FatalError, IntegrityError, PermanentError, StorageError, TransientFileError } from './errors.js';

/** What to do about a failed request. */
export type ErrorDisposition = 'retry' | 'permanent' | 'fatal';

/**
 * Wrong or expired credentials (a refused token too: the provider's to fix, not the file's), missing
 * bucket: every upload would fail the same way. AccessDenied stays per file: a RAM policy may deny some prefixes only.
 */
const FATAL_CODES = new Set([...TOKEN_REFUSED, 'SignatureDoesNotMatch', 'NoSuchBucket', 'UserDisable', 'AccountNotExist']);

/** Worth another try: throttling, server trouble, clock (corrected by the storage before it throws). */
const RETRY_CODES = new Set([
  'SlowDown',
  'RequestTimeout',
  'InternalError',
  'ServiceUnavailable',
  'RequestTimeTooSkewed',
  // The server's MD5 of the body differs from our Content-MD5: damaged on the way, send it again.
  'InvalidDigest',
  'BadDigest',
  'ResponseTimeoutError',
  'ConnectionTimeoutError',
  'SocketAssignTimeoutError',
  'RequestError',
  'ResponseError',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
]);

/**
 * Classify an error (rclone's ShouldRetry). Pure: the daemon may call it too, to decide between
 * "retry this file later", "mark this file failed" and "stop: configuration is wrong".
 */
export function classifyError(err: unknown): ErrorDisposition {
  // The outermost error that says anything decides; a wrapper (Error with a cause) is looked
  // through, as storageErrorCode() does, so wrapping a StorageError or a passing EMFILE keeps its kind.
  for (let e = err; e instanceof Error; e = e.cause) {
    const disposition = dispositionOf(e);
    if (disposition !== undefined) return disposition;
  }
  return 'permanent';
}

function dispositionOf(err: Error): ErrorDisposition | undefined {
  if (err instanceof FatalError) return 'fatal';
  if (err instanceof PermanentError) return 'permanent';
  // The uploader already re-sent the part; later, with a fresh connection, it may well go through.
  if (err instanceof IntegrityError) return 'retry';
  if (err instanceof StorageError) return classifyStorageError(err);
  // A local read that may pass (EMFILE, EIO, ESTALE...): the file is not at fault for good.
  if (err instanceof TransientFileError) return 'retry';
  if (isNetworkError(err)) return 'retry';
  return undefined;
}

/**
 * Whether err says the endpoint or the way to it is in trouble (no answer, 5xx, 429, SlowDown...),
 * not this request or this file: a file failing so is no more likely to fail next time than any
 * other, so it must not use up its attempts (an hour's outage would park every file otherwise).
 */
export function isEndpointTrouble(err: unknown): boolean {
  for (let e = err; e instanceof Error; e = e.cause) {
    if (e instanceof StorageError) return classifyStorageError(e) === 'retry';
    if (e instanceof IntegrityError || e instanceof TransientFileError) return false;
    if (isNetworkError(e)) return true;
  }
  return false;
}

function classifyStorageError(err: StorageError): ErrorDisposition {
  if (err.code !== undefined && FATAL_CODES.has(err.code)) return 'fatal';
  if (err.code !== undefined && RETRY_CODES.has(err.code)) return 'retry';
  const status = err.status;
  // No response at all: the network failed somewhere.
  if (status === undefined || status <= 0) return 'retry';
  if (status >= 500 || status === 429 || status === 408) return 'retry';
  return 'permanent';
}

function isNetworkError(err: Error): boolean {
  const code = (err as { code?: unknown }).code;
  return (typeof code === 'string' && RETRY_CODES.has(code)) || /socket hang up/i.test(err.message);
}

export interface RetryEvent {
  operation: string;
  /** The attempt that failed (1-based). */
  attempt: number;
  delayMs: number;
  error: unknown;
}

export interface RetryPolicy {
  /**
   * A time budget per request, not an attempt count (how many fit depends on the shared pacer's delay):
   * no retry is started after it, the last error is thrown. defaultRetryPolicy gives 2 min.
   */
  maxTimeMs: number;
  /** Told before each wait, for logs. */
  onRetry?: (event: RetryEvent) => void;
}

export function defaultRetryPolicy(overrides: Partial<RetryPolicy> = {}): RetryPolicy {
  return { ...overrides, maxTimeMs: overrides.maxTimeMs ?? 120_000 };
}
