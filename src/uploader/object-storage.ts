import type { Readable } from 'node:stream';

/**
 * The one storage interface the uploader talks to (restic's backend idea): small, OSS-shaped, no policy
 * (retries, integrity checks, resume live outside). Implementations throw StorageError; wrappers that
 * add a policy (withRetries, withLimits) extend ForwardingStorage, at the end.
 */

export interface ObjectRef {
  bucket: string;
  key: string;
  /** A version of the object (versioned bucket; head and get only): the current one when absent. */
  versionId?: string;
}

export interface RequestOptions {
  /** Abandon the request (its body is destroyed) when this fires. */
  signal?: AbortSignal;
  /** Whole-request deadline, body upload included. */
  timeoutMs?: number;
  /** Bits per second: OSS's own cap on this request's body (x-oss-traffic-limit, 819200..838860800). */
  trafficLimit?: number;
}

/** A request body that can be sent more than once: each attempt's open() gives a fresh stream of exactly `size` bytes. */
export interface Body {
  size: number;
  open(): Readable;
  /** The whole body, when it is already in memory: a small PutObject sends it as one buffer (ali-oss adds its Content-MD5). */
  readonly inMemory?: Buffer;
}

export interface NewObjectOptions {
  storageClass?: string;
  /** x-oss-meta-* headers, names without the prefix. */
  meta?: Record<string, string>;
  /** x-oss-server-side-encryption (AES256, KMS, SM4) and, with KMS, its key id. */
  encryption?: { algorithm: string; kmsKeyId?: string };
  /** x-oss-tagging: tags the new object carries (lifecycle rules can match them). */
  tags?: Record<string, string>;
}

/** What the server says it stored: ETag (quoted, as sent) and CRC-64 (decimal), when it says. */
export interface StoredChecksums {
  etag: string;
  crc64: string | undefined;
}

export interface ObjectInfo extends StoredChecksums {
  size: number;
  meta: Record<string, string>;
  /** HEAD's x-oss-restore of an Archive/ColdArchive object: 'ongoing', 'done' (readable); absent when never asked. */
  restore?: 'ongoing' | 'done';
}

/** What RestoreObject did: started a restore, found one running, or found the object restored already. */
export type RestoreRequestResult = 'started' | 'ongoing' | 'done';

export interface ListedPart {
  partNumber: number;
  size: number;
  etag: string;
}

export interface ListedUpload {
  key: string;
  uploadId: string;
  initiated: string;
}

/** One entry of a ListObjectsV2 listing. */
export interface ListedObject {
  key: string;
  size: number;
  /** Quoted, as OSS lists it. */
  etag: string;
  storageClass: string | undefined;
  lastModified: string;
  /** Set when the listing is of versions (restore --at): the version to read. */
  versionId?: string;
}

/** One ListObjectsV2 answer: up to 1,000 objects in key order, and where the next page starts (absent: this was the last). */
export interface ListedObjectsPage {
  objects: ListedObject[];
  next?: string;
}

/** An object's body, as GetObject answers it: the caller must consume or destroy `stream`. */
export interface ObjectDownload extends ObjectInfo {
  stream: Readable;
  /** Bytes this response carries (the range's length for a ranged GET). */
  contentLength: number;
}

export interface GetOptions extends RequestOptions {
  /** Inclusive byte range; the whole object when absent. */
  range?: { start: number; end: number };
  /** Refuse (PreconditionFailed) unless the object still has this ETag: ranges of one file never mix two versions. */
  ifMatch?: string;
}

export type BucketVersioning = 'Enabled' | 'Suspended';

/** What a DeleteObject did: deleteMarker when the bucket is versioned (x-oss-delete-marker). */
export interface DeletedObject {
  deleteMarker: boolean;
  /** The delete marker's version id, when one was left. */
  versionId?: string;
}

/** One entry of ListObjectVersions: a version of an object, or a delete marker (size 0, etag ''). */
export interface ListedVersion extends ListedObject {
  versionId: string;
  isLatest: boolean;
  deleteMarker: boolean;
}

/** A bucket lifecycle rule, as far as oss-sync reads one: which uploads it aborts, and when. */
export interface LifecycleRule {
  id: string;
  prefix: string;
  enabled: boolean;
  /** Days after which the rule aborts an incomplete multipart upload; undefined: it does not. */
  abortMultipartUploadDays?: number;
}

export type CompletedPart = Pick<ListedPart, 'partNumber' | 'etag'>;

export interface ObjectStorage {
  put(ref: ObjectRef, body: Body, options?: NewObjectOptions & RequestOptions): Promise<StoredChecksums>;
  /** undefined when the object does not exist. */
  head(ref: ObjectRef, options?: RequestOptions): Promise<ObjectInfo | undefined>;
  /** Returns the new uploadId. */
  initMultipart(ref: ObjectRef, options?: NewObjectOptions & RequestOptions): Promise<string>;
  uploadPart(ref: ObjectRef, uploadId: string, partNumber: number, body: Body, options?: RequestOptions): Promise<StoredChecksums>;
  /** Every part of the upload (pagination handled inside), ascending. */
  listParts(ref: ObjectRef, uploadId: string, options?: RequestOptions): Promise<ListedPart[]>;
  completeMultipart(ref: ObjectRef, uploadId: string, parts: CompletedPart[], options?: RequestOptions): Promise<StoredChecksums>;
  /** Always safe: an upload that no longer exists counts as aborted. */
  abortMultipart(ref: ObjectRef, uploadId: string, options?: RequestOptions): Promise<void>;
  listMultipartUploads(bucket: string, prefix?: string, options?: RequestOptions): Promise<ListedUpload[]>;
  /** On a versioned bucket OSS keeps the object's versions and answers with the delete marker it left. */
  deleteObject(ref: ObjectRef, options?: RequestOptions): Promise<DeletedObject>;
  /** CopyObject within OSS (up to 1 GiB), no body sent. The copy carries `meta` if given (REPLACE), else the source's (COPY). */
  copyObject(source: ObjectRef, target: ObjectRef, options?: NewObjectOptions & RequestOptions): Promise<StoredChecksums>;
  /** UploadPartCopy: the part is `range` (inclusive) of `source`; no body is sent. */
  uploadPartCopy(
    ref: ObjectRef,
    uploadId: string,
    partNumber: number,
    source: ObjectRef,
    range: { start: number; end: number },
    options?: RequestOptions,
  ): Promise<StoredChecksums>;
  /** The bucket's lifecycle rules; none (NoSuchLifecycle) is an empty list. */
  getLifecycleRules(bucket: string, options?: RequestOptions): Promise<LifecycleRule[]>;
  /** Replaces the bucket's whole lifecycle configuration with these rules (abort-incomplete-upload rules). */
  putLifecycleRules(bucket: string, rules: readonly LifecycleRule[], options?: RequestOptions): Promise<void>;
  /** GetObject (ranged when options.range is set). Headers only are awaited: the body streams after. */
  get(ref: ObjectRef, options?: GetOptions): Promise<ObjectDownload>;
  /**
   * One ListObjectsV2 request: the page under the prefix from `continuationToken` (the previous page's
   * `next`; undefined: the first) on, so a wrapper retries a page, never the whole listing (listObjectPages walks them).
   */
  listObjectsPage(
    bucket: string,
    prefix: string,
    continuationToken: string | undefined,
    options?: RequestOptions,
  ): Promise<ListedObjectsPage>;
  /** The bucket's versioning (GetBucketVersioning); undefined when it was never enabled. */
  getVersioning(bucket: string, options?: RequestOptions): Promise<BucketVersioning | undefined>;
  /** Every version and delete marker under the prefix (ListObjectVersions, pagination inside). */
  listObjectVersions(bucket: string, prefix?: string, options?: RequestOptions): Promise<ListedVersion[]>;
  /** RestoreObject: makes an Archive/ColdArchive object readable for `days` (OSS takes minutes to hours). */
  restoreObject(ref: ObjectRef, options: { days: number; storageClass: string } & RequestOptions): Promise<RestoreRequestResult>;
}

/**
 * An ObjectStorage that hands every request to `inner` through call(), named by its OSS operation: a
 * wrapper overrides call() to put one policy around every request, or only the methods it changes.
 */
export class ForwardingStorage implements ObjectStorage {
  constructor(protected readonly inner: ObjectStorage) {}

  protected call<T>(_operation: string, _options: RequestOptions | undefined, send: () => Promise<T>): Promise<T> {
    return send();
  }

  put: ObjectStorage['put'] = (ref, body, options) => this.call('PutObject', options, () => this.inner.put(ref, body, options));
  head: ObjectStorage['head'] = (ref, options) => this.call('HeadObject', options, () => this.inner.head(ref, options));
  initMultipart: ObjectStorage['initMultipart'] = (ref, options) =>
    this.call('InitiateMultipartUpload', options, () => this.inner.initMultipart(ref, options));
  uploadPart: ObjectStorage['uploadPart'] = (ref, uploadId, partNumber, body, options) =>
    this.call('UploadPart', options, () => this.inner.uploadPart(ref, uploadId, partNumber, body, options));
  listParts: ObjectStorage['listParts'] = (ref, uploadId, options) =>
    this.call('ListParts', options, () => this.inner.listParts(ref, uploadId, options));
  completeMultipart: ObjectStorage['completeMultipart'] = (ref, uploadId, parts, options) =>
    this.call('CompleteMultipartUpload', options, () => this.inner.completeMultipart(ref, uploadId, parts, options));
  abortMultipart: ObjectStorage['abortMultipart'] = (ref, uploadId, options) =>
    this.call('AbortMultipartUpload', options, () => this.inner.abortMultipart(ref, uploadId, options));
  listMultipartUploads: ObjectStorage['listMultipartUploads'] = (bucket, prefix, options) =>
    this.call('ListMultipartUploads', options, () => this.inner.listMultipartUploads(bucket, prefix, options));
  deleteObject: ObjectStorage['deleteObject'] = (ref, options) =>
    this.call('DeleteObject', options, () => this.inner.deleteObject(ref, options));
  copyObject: ObjectStorage['copyObject'] = (source, target, options) =>
    this.call('CopyObject', options, () => this.inner.copyObject(source, target, options));
  uploadPartCopy: ObjectStorage['uploadPartCopy'] = (ref, uploadId, partNumber, source, range, options) =>
    this.call('UploadPartCopy', options, () => this.inner.uploadPartCopy(ref, uploadId, partNumber, source, range, options));
  getLifecycleRules: ObjectStorage['getLifecycleRules'] = (bucket, options) =>
    this.call('GetBucketLifecycle', options, () => this.inner.getLifecycleRules(bucket, options));
  putLifecycleRules: ObjectStorage['putLifecycleRules'] = (bucket, rules, options) =>
    this.call('PutBucketLifecycle', options, () => this.inner.putLifecycleRules(bucket, rules, options));
  get: ObjectStorage['get'] = (ref, options) => this.call('GetObject', options, () => this.inner.get(ref, options));
  listObjectsPage: ObjectStorage['listObjectsPage'] = (bucket, prefix, continuationToken, options) =>
    this.call('ListObjectsV2', options, () => this.inner.listObjectsPage(bucket, prefix, continuationToken, options));
  getVersioning: ObjectStorage['getVersioning'] = (bucket, options) =>
    this.call('GetBucketVersioning', options, () => this.inner.getVersioning(bucket, options));
  listObjectVersions: ObjectStorage['listObjectVersions'] = (bucket, prefix, options) =>
    this.call('ListObjectVersions', options, () => this.inner.listObjectVersions(bucket, prefix, options));
  restoreObject: ObjectStorage['restoreObject'] = (ref, options) =>
    this.call('RestoreObject', options, () => this.inner.restoreObject(ref, options));
}
