import { abortableSleep } from './abortable-sleep.js';
import type {
  Body,
  CompletedPart,
  GetOptions,
  LifecycleRule,
  ListedObject,
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
import type { RetryPolicy } from './retry-policy.js';

/**
 * Run fn until it succeeds, the policy calls its error permanent, attempts run out, or the signal
 * fires (the wait is abortable; the error thrown is then the signal's reason).
 */
export async function retryCall<T>(
  operation: string,
  policy: RetryPolicy,
  signal: AbortSignal | undefined,
  fn: () => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    signal?.throwIfAborted();
    try {
      return await fn();
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      if (attempt >= policy.maxAttempts || policy.classify(err) !== 'retry') throw err;
      const delayMs = policy.backoff(attempt, err);
      policy.onRetry?.({ operation, attempt, delayMs, error: err });
      await abortableSleep(delayMs, signal);
    }
  }
}

/** ObjectStorage with every request retried by policy (restic's RetryBackend). */
class RetryingStorage implements ObjectStorage {
  constructor(
    private readonly inner: ObjectStorage,
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

  copyObject(source: ObjectRef, target: ObjectRef, options?: NewObjectOptions & RequestOptions): Promise<StoredChecksums> {
    return this.retry('CopyObject', options, () => this.inner.copyObject(source, target, options));
  }

  uploadPartCopy(
    ref: ObjectRef,
    uploadId: string,
    partNumber: number,
    source: ObjectRef,
    range: { start: number; end: number },
    options?: RequestOptions,
  ): Promise<StoredChecksums> {
    return this.retry('UploadPartCopy', options, () => this.inner.uploadPartCopy(ref, uploadId, partNumber, source, range, options));
  }

  deleteObject(ref: ObjectRef, options?: RequestOptions): Promise<void> {
    return this.retry('DeleteObject', options, () => this.inner.deleteObject(ref, options));
  }

  // Only until the headers: a body that fails while streaming is the caller's to retry (it knows the offset).
  get(ref: ObjectRef, options?: GetOptions): Promise<ObjectDownload> {
    return this.retry('GetObject', options, () => this.inner.get(ref, options));
  }

  listObjects(bucket: string, prefix?: string, options?: RequestOptions): Promise<ListedObject[]> {
    return this.retry('ListObjectsV2', options, () => this.inner.listObjects(bucket, prefix, options));
  }

  private retry<T>(operation: string, options: RequestOptions | undefined, fn: () => Promise<T>): Promise<T> {
    return retryCall(operation, this.policy, options?.signal, fn);
  }
}

export function withRetries(storage: ObjectStorage, policy: RetryPolicy): ObjectStorage {
  return new RetryingStorage(storage, policy);
}
