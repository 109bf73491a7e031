import { ForwardingStorage } from './object-storage.js';
import type { ObjectStorage, RequestOptions } from './object-storage.js';
import type { Pacer } from './pacer.js';
import { classifyError, type RetryPolicy } from './retry-policy.js';

/**
 * Run fn until it succeeds, classifyError calls its error not retryable (thrown as is), the time budget
 * would be over before the next start, or the signal fires (then its reason is thrown). Every attempt
 * starts when the shared pacer says, and every retryable error pushes the pacer back: a dropped
 * connection or damaged body too, since each says the endpoint or the way to it is in trouble.
 */
export async function retryCall<T>(
  operation: string,
  pacer: Pacer,
  policy: RetryPolicy,
  signal: AbortSignal | undefined,
  fn: () => Promise<T>,
): Promise<T> {
  const deadline = pacer.clock.now() + policy.maxTimeMs;
  // The first attempt is always made (there is no error to give up with), however long its turn takes.
  // A turn that is now (full speed, the common case) is taken without an await.
  const first = pacer.reserve()!;
  if (first.waitMs > 0) await pacer.waitFor(first, Number.POSITIVE_INFINITY, signal);
  for (let attempt = 1; ; attempt++) {
    signal?.throwIfAborted();
    const regime = pacer.regime;
    try {
      const result = await fn();
      pacer.succeeded();
      return result;
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      if (classifyError(err) !== 'retry') throw err;
      pacer.failed(regime);
      const slot = pacer.reserve(deadline);
      if (slot === undefined) throw err;
      policy.onRetry?.({ operation, attempt, delayMs: slot.waitMs, error: err });
      if (!(await pacer.waitFor(slot, deadline, signal))) throw err;
    }
  }
}

/**
 * ObjectStorage with every request paced and retried by policy (restic's RetryBackend, rclone's pacer).
 * A GetObject is retried only until its headers: a body failing while streaming is the caller's to retry
 * (it knows the offset). `pacer` is the endpoint's, one per storage, so all its requests share the slow-down.
 */
export function withRetries(storage: ObjectStorage, pacer: Pacer, policy: RetryPolicy): ObjectStorage {
  return new (class extends ForwardingStorage {
    protected override call<T>(operation: string, options: RequestOptions | undefined, send: () => Promise<T>): Promise<T> {
      return retryCall(operation, pacer, policy, options?.signal, send);
    }
  })(storage);
}
