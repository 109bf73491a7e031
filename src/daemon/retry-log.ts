import type { RetryEvent } from '../uploader/index.js';
import type { Logger } from '../lib/logger.js';

/** Logs a request the storage retries: a blip is routine (debug); one still failing after a few tries is worth a look. */
export function logRetry(logger: Logger): (event: RetryEvent) => void {
  return ({ operation, attempt, delayMs, error }) => {
    const level = attempt >= 3 ? 'warn' : 'debug';
    logger[level]('request failed; retrying', { operation, attempt, retryInMs: delayMs, error: error as Error });
  };
}
