import type {
  Body,
  BucketVersioning,
  CompletedPart,
  DeletedObject,
  GetOptions,
  LifecycleRule,
  ListedObject,
  ListedPart,
  ListedUpload,
  ListedVersion,
  NewObjectOptions,
  ObjectDownload,
  ObjectInfo,
  ObjectRef,
  ObjectStorage,
  RequestOptions,
  RestoreRequestResult,
  StoredChecksums,
} from './object-storage.js';

/**
 * An ObjectStorage that hands every request to `inner` through call(), named by its OSS operation:
 * a wrapper (withRetries, withLimits) overrides call() to put one policy around every request, or
 * only the methods it changes, and inherits the rest.
 */
export class ForwardingStorage implements ObjectStorage {
  constructor(protected readonly inner: ObjectStorage) {}

  protected call<T>(_operation: string, _options: RequestOptions | undefined, send: () => Promise<T>): Promise<T> {
    return send();
  }

  put(ref: ObjectRef, body: Body, options?: NewObjectOptions & RequestOptions): Promise<StoredChecksums> {
    return this.call('PutObject', options, () => this.inner.put(ref, body, options));
  }

  head(ref: ObjectRef, options?: RequestOptions): Promise<ObjectInfo | undefined> {
    return this.call('HeadObject', options, () => this.inner.head(ref, options));
  }

  initMultipart(ref: ObjectRef, options?: NewObjectOptions & RequestOptions): Promise<string> {
    return this.call('InitiateMultipartUpload', options, () => this.inner.initMultipart(ref, options));
  }

  uploadPart(ref: ObjectRef, uploadId: string, partNumber: number, body: Body, options?: RequestOptions): Promise<StoredChecksums> {
    return this.call('UploadPart', options, () => this.inner.uploadPart(ref, uploadId, partNumber, body, options));
  }

  listParts(ref: ObjectRef, uploadId: string, options?: RequestOptions): Promise<ListedPart[]> {
    return this.call('ListParts', options, () => this.inner.listParts(ref, uploadId, options));
  }

  completeMultipart(ref: ObjectRef, uploadId: string, parts: CompletedPart[], options?: RequestOptions): Promise<StoredChecksums> {
    return this.call('CompleteMultipartUpload', options, () => this.inner.completeMultipart(ref, uploadId, parts, options));
  }

  abortMultipart(ref: ObjectRef, uploadId: string, options?: RequestOptions): Promise<void> {
    return this.call('AbortMultipartUpload', options, () => this.inner.abortMultipart(ref, uploadId, options));
  }

  listMultipartUploads(bucket: string, prefix?: string, options?: RequestOptions): Promise<ListedUpload[]> {
    return this.call('ListMultipartUploads', options, () => this.inner.listMultipartUploads(bucket, prefix, options));
  }

  deleteObject(ref: ObjectRef, options?: RequestOptions): Promise<DeletedObject> {
    return this.call('DeleteObject', options, () => this.inner.deleteObject(ref, options));
  }

  copyObject(source: ObjectRef, target: ObjectRef, options?: NewObjectOptions & RequestOptions): Promise<StoredChecksums> {
    return this.call('CopyObject', options, () => this.inner.copyObject(source, target, options));
  }

  uploadPartCopy(
    ref: ObjectRef,
    uploadId: string,
    partNumber: number,
    source: ObjectRef,
    range: { start: number; end: number },
    options?: RequestOptions,
  ): Promise<StoredChecksums> {
    return this.call('UploadPartCopy', options, () => this.inner.uploadPartCopy(ref, uploadId, partNumber, source, range, options));
  }

  getLifecycleRules(bucket: string, options?: RequestOptions): Promise<LifecycleRule[]> {
    return this.call('GetBucketLifecycle', options, () => this.inner.getLifecycleRules(bucket, options));
  }

  putLifecycleRules(bucket: string, rules: readonly LifecycleRule[], options?: RequestOptions): Promise<void> {
    return this.call('PutBucketLifecycle', options, () => this.inner.putLifecycleRules(bucket, rules, options));
  }

  get(ref: ObjectRef, options?: GetOptions): Promise<ObjectDownload> {
    return this.call('GetObject', options, () => this.inner.get(ref, options));
  }

  listObjects(bucket: string, prefix?: string, options?: RequestOptions): Promise<ListedObject[]> {
    return this.call('ListObjectsV2', options, () => this.inner.listObjects(bucket, prefix, options));
  }

  getVersioning(bucket: string, options?: RequestOptions): Promise<BucketVersioning | undefined> {
    return this.call('GetBucketVersioning', options, () => this.inner.getVersioning(bucket, options));
  }

  listObjectVersions(bucket: string, prefix?: string, options?: RequestOptions): Promise<ListedVersion[]> {
    return this.call('ListObjectVersions', options, () => this.inner.listObjectVersions(bucket, prefix, options));
  }

  restoreObject(ref: ObjectRef, options: { days: number; storageClass: string } & RequestOptions): Promise<RestoreRequestResult> {
    return this.call('RestoreObject', options, () => this.inner.restoreObject(ref, options));
  }
}
