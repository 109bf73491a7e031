import type {
  Body,
  CompletedPart,
  GetOptions,
  LifecycleRule,
  BucketVersioning,
  DeletedObject,
  ListedObject,
  ListedVersion,
  ListedPart,
  ListedUpload,
  NewObjectOptions,
  ObjectDownload,
  ObjectInfo,
  ObjectRef,
  ObjectStorage,
  RequestOptions,
  StoredChecksums,
} from './object-storage.js';
import type { Pacer } from './pacer.js';
import type { RetryPolicy } from './retry-policy.js';

/**
 * Run fn until it succeeds, the policy calls its error not retryable (passed straight through), its
 * time budget would be over before the next start, or the signal fires (the wait is abortable; the
 * error thrown is then the signal's reason). Every attempt starts when the shared pacer says, and
 * every retryable error pushes the pacer back: throttling and 5xx, but also a dropped connection or
 * a damaged body, since each says the endpoint or the way to it is in trouble.
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
  await pacer.waitFor(pacer.reserve()!, Number.POSITIVE_INFINITY, signal);
  for (let attempt = 1; ; attempt++) {
    signal?.throwIfAborted();
    const regime = pacer.regime;
    try {
      const result = await fn();
      pacer.succeeded();
      return result;
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      if (policy.classify(err) !== 'retry') throw err;
      pacer.failed(regime, err);
      const slot = pacer.reserve(deadline);
      if (slot === undefined) throw err;
      policy.onRetry?.({ operation, attempt, delayMs: slot.waitMs, error: err });
      if (!(await pacer.waitFor(slot, deadline, signal))) throw err;
    }
  }
}

/** ObjectStorage with every request paced and retried by policy (restic's RetryBackend, rclone's pacer). */
class RetryingStorage implements ObjectStorage {
  constructor(
    private readonly inner: ObjectStorage,
    private readonly pacer: Pacer,
    private readonly policy: RetryPolicy,
  ) {}

  put(ref: ObjectRef, body: Body, options?: NewObjectOptions & RequestOptions): Promise<StoredChecksums> {
    return this.retry('PutObject', options, () => this.inner.put(ref, body, options));
  }

  head(ref: ObjectRef, options?: RequestOptions): Promise<ObjectInfo | undefined> {
    return this.retry('HeadObject', options, () => this.inner.head(ref, options));
  }

  initMultipart(ref: ObjectRef, options?: NewObjectOptions & RequestOptions): Promise<string> {
    return this.retry('InitiateMultipartUpload', options, () => this.inner.initMultipart(ref, options));
  }

  uploadPart(ref: ObjectRef, uploadId: string, partNumber: number, body: Body, options?: RequestOptions): Promise<StoredChecksums> {
    return this.retry('UploadPart', options, () => this.inner.uploadPart(ref, uploadId, partNumber, body, options));
  }

  listParts(ref: ObjectRef, uploadId: string, options?: RequestOptions): Promise<ListedPart[]> {
    return this.retry('ListParts', options, () => this.inner.listParts(ref, uploadId, options));
  }

  completeMultipart(ref: ObjectRef, uploadId: string, parts: CompletedPart[], options?: RequestOptions): Promise<StoredChecksums> {
    return this.retry('CompleteMultipartUpload', options, () => this.inner.completeMultipart(ref, uploadId, parts, options));
  }

  abortMultipart(ref: ObjectRef, uploadId: string, options?: RequestOptions): Promise<void> {
    return this.retry('AbortMultipartUpload', options, () => this.inner.abortMultipart(ref, uploadId, options));
  }

  getLifecycleRules(bucket: string, options?: RequestOptions): Promise<LifecycleRule[]> {
    return this.retry('GetBucketLifecycle', options, () => this.inner.getLifecycleRules(bucket, options));
  }

  putLifecycleRules(bucket: string, rules: readonly LifecycleRule[], options?: RequestOptions): Promise<void> {
    return this.retry('PutBucketLifecycle', options, () => this.inner.putLifecycleRules(bucket, rules, options));
  }

  listMultipartUploads(bucket: string, prefix?: string, options?: RequestOptions): Promise<ListedUpload[]> {
    return this.retry('ListMultipartUploads', options, () => this.inner.listMultipartUploads(bucket, prefix, options));
  }

  deleteObject(ref: ObjectRef, options?: RequestOptions): Promise<DeletedObject> {
    return this.retry('DeleteObject', options, () => this.inner.deleteObject(ref, options));
  }

  // Only until the headers: a body that fails while streaming is the caller's to retry (it knows the offset).
  get(ref: ObjectRef, options?: GetOptions): Promise<ObjectDownload> {
    return this.retry('GetObject', options, () => this.inner.get(ref, options));
  }

  listObjects(bucket: string, prefix?: string, options?: RequestOptions): Promise<ListedObject[]> {
    return this.retry('ListObjectsV2', options, () => this.inner.listObjects(bucket, prefix, options));
  }

  getVersioning(bucket: string, options?: RequestOptions): Promise<BucketVersioning | undefined> {
    return this.retry('GetBucketVersioning', options, () => this.inner.getVersioning(bucket, options));
  }

  listObjectVersions(bucket: string, prefix?: string, options?: RequestOptions): Promise<ListedVersion[]> {
    return this.retry('ListObjectVersions', options, () => this.inner.listObjectVersions(bucket, prefix, options));
  }

  private retry<T>(operation: string, options: RequestOptions | undefined, fn: () => Promise<T>): Promise<T> {
    return retryCall(operation, this.pacer, this.policy, options?.signal, fn);
  }
}

/** `pacer` is the endpoint's: build one per storage, so every request to it shares the slow-down. */
export function withRetries(storage: ObjectStorage, pacer: Pacer, policy: RetryPolicy): ObjectStorage {
  return new RetryingStorage(storage, pacer, policy);
}
