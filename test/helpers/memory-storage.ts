/**
 * An ObjectStorage held in memory (restic's mem backend), with a fault hook, for fast tests of the
 * logic above the storage: uploader, worker, scheduler. It answers as OSS does where that logic
 * looks (ETag, CRC-64, NoSuchUpload, listings in key order) and checks a body's size.
 * Tests that claim to test uploading or resuming against OSS use the emulator and the real client.
 */
import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { crc64 } from '../../src/lib/crc64.js';
import { StorageError } from '../../src/uploader/errors.js';
import type {
  RestoreRequestResult,
  BucketVersioning,
  DeletedObject,
  ListedVersion,
  Body,
  CompletedPart,
  GetOptions,
  LifecycleRule,
  ListedObjectsPage,
  ListedPart,
  ListedUpload,
  NewObjectOptions,
  ObjectDownload,
  ObjectInfo,
  ObjectRef,
  ObjectStorage,
  RequestOptions,
  StoredChecksums,
} from '../../src/uploader/object-storage.js';

/** One request as the storage saw it, for the fault hook and for tests to count. */
export interface MemoryRequest {
  operation: string;
  bucket: string;
  key: string;
  partNumber?: number;
  uploadId?: string;
}

interface StoredObject {
  bytes: Buffer;
  etag: string;
  crc64: string;
  meta: Record<string, string>;
  storageClass: string | undefined;
  lastModified: string;
}

interface Upload {
  ref: ObjectRef;
  options: NewObjectOptions;
  initiated: string;
  parts: Map<number, { bytes: Buffer; etag: string }>;
}

const md5 = (bytes: Buffer): Buffer => createHash('md5').update(bytes).digest();
const refKey = (bucket: string, key: string): string => `${bucket}\0${key}`;

export class MemoryStorage implements ObjectStorage {
  /**
   * Called as each request starts, before it touches any state: throw to fail it (a StorageError
   * with an OSS code, as OssStorage would), or return a promise to hold it (a test decides when
   * it goes on, instead of an injected latency).
   */
  beforeRequest: (request: MemoryRequest) => void | Promise<void> = () => undefined;
  /** Every request, in arrival order. */
  readonly requests: MemoryRequest[] = [];
  /** Requests started and not yet answered, and the most there ever were at once. */
  inFlight = 0;
  maxInFlight = 0;

  private readonly objects = new Map<string, StoredObject>();
  private readonly uploads = new Map<string, Upload>();
  private readonly lifecycle = new Map<string, LifecycleRule[]>();

  /** An object's bytes, or undefined: what a test checks after an upload. */
  object(bucket: string, key: string): Buffer | undefined {
    return this.objects.get(refKey(bucket, key))?.bytes;
  }

  count(operation: string, key?: string): number {
    return this.requests.filter((r) => r.operation === operation && (key === undefined || r.key === key)).length;
  }

  put(ref: ObjectRef, body: Body, options: NewObjectOptions & RequestOptions = {}): Promise<StoredChecksums> {
    return this.request({ operation: 'PutObject', ...ref }, options, async () => {
      const bytes = await readBody(body, ref, 'PutObject');
      return this.store(ref, bytes, `"${md5(bytes).toString('hex')}"`, options);
    });
  }

  head(ref: ObjectRef, options?: RequestOptions): Promise<ObjectInfo | undefined> {
    return this.request({ operation: 'HeadObject', ...ref }, options, async () => {
      const o = this.objects.get(refKey(ref.bucket, ref.key));
      return o && { etag: o.etag, crc64: o.crc64, size: o.bytes.length, meta: { ...o.meta } };
    });
  }

  initMultipart(ref: ObjectRef, options: NewObjectOptions & RequestOptions = {}): Promise<string> {
    return this.request({ operation: 'InitiateMultipartUpload', ...ref }, options, async () => {
      const uploadId = randomUUID();
      this.uploads.set(uploadId, { ref, options, initiated: new Date().toISOString(), parts: new Map() });
      return uploadId;
    });
  }

  uploadPart(ref: ObjectRef, uploadId: string, partNumber: number, body: Body, options?: RequestOptions): Promise<StoredChecksums> {
    return this.request({ operation: 'UploadPart', ...ref, uploadId, partNumber }, options, async () => {
      const bytes = await readBody(body, ref, 'UploadPart');
      return this.storePart(ref, uploadId, partNumber, bytes, 'UploadPart');
    });
  }

  /** CopyObject: the copy keeps the source's ETag and CRC-64; `meta` given replaces the source's (REPLACE). */
  copyObject(source: ObjectRef, target: ObjectRef, options: NewObjectOptions & RequestOptions = {}): Promise<StoredChecksums> {
    return this.request({ operation: 'CopyObject', ...target }, options, async () => {
      const from = this.objects.get(refKey(source.bucket, source.key));
      if (!from) throw fail('CopyObject', source, 'NoSuchKey', 404);
      return this.store(target, from.bytes, from.etag, { storageClass: from.storageClass, meta: options.meta ?? from.meta });
    });
  }

  uploadPartCopy(
    ref: ObjectRef,
    uploadId: string,
    partNumber: number,
    source: ObjectRef,
    range: { start: number; end: number },
    options?: RequestOptions,
  ): Promise<StoredChecksums> {
    return this.request({ operation: 'UploadPartCopy', ...ref, uploadId, partNumber }, options, async () => {
      const from = this.objects.get(refKey(source.bucket, source.key));
      if (!from) throw fail('UploadPartCopy', source, 'NoSuchKey', 404);
      return this.storePart(ref, uploadId, partNumber, from.bytes.subarray(range.start, range.end + 1), 'UploadPartCopy');
    });
  }

  listParts(ref: ObjectRef, uploadId: string, options?: RequestOptions): Promise<ListedPart[]> {
    return this.request({ operation: 'ListParts', ...ref, uploadId }, options, async () =>
      [...this.upload(ref, uploadId, 'ListParts').parts]
        .sort(([a], [b]) => a - b)
        .map(([partNumber, p]) => ({ partNumber, size: p.bytes.length, etag: p.etag })),
    );
  }

  completeMultipart(ref: ObjectRef, uploadId: string, parts: CompletedPart[], options?: RequestOptions): Promise<StoredChecksums> {
    return this.request({ operation: 'CompleteMultipartUpload', ...ref, uploadId }, options, async () => {
      const upload = this.upload(ref, uploadId, 'CompleteMultipartUpload');
      const chosen = parts.map((p) => {
        const part = upload.parts.get(p.partNumber);
        if (part?.etag !== p.etag) throw fail('CompleteMultipartUpload', ref, 'InvalidPart', 400);
        return part;
      });
      const bytes = Buffer.concat(chosen.map((p) => p.bytes));
      const digest = md5(Buffer.concat(chosen.map((p) => md5(p.bytes))));
      this.uploads.delete(uploadId);
      return this.store(ref, bytes, `"${digest.toString('hex').toUpperCase()}-${chosen.length}"`, upload.options);
    });
  }

  abortMultipart(ref: ObjectRef, uploadId: string, options?: RequestOptions): Promise<void> {
    return this.request({ operation: 'AbortMultipartUpload', ...ref, uploadId }, options, async () => {
      this.uploads.delete(uploadId);
    });
  }

  listMultipartUploads(bucket: string, prefix = '', options?: RequestOptions): Promise<ListedUpload[]> {
    return this.request({ operation: 'ListMultipartUploads', bucket, key: prefix }, options, async () =>
      [...this.uploads]
        .filter(([, u]) => u.ref.bucket === bucket && u.ref.key.startsWith(prefix))
        .map(([uploadId, u]) => ({ key: u.ref.key, uploadId, initiated: u.initiated }))
        .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)),
    );
  }

  /** An unversioned bucket: the object is gone, no delete marker. */
  deleteObject(ref: ObjectRef, options?: RequestOptions): Promise<DeletedObject> {
    return this.request({ operation: 'DeleteObject', ...ref }, options, async () => {
      this.objects.delete(refKey(ref.bucket, ref.key));
      return { deleteMarker: false };
    });
  }

  /** No archive storage classes here (the emulator covers them): every object is readable. */
  restoreObject(ref: ObjectRef, options: { days: number; storageClass: string } & RequestOptions): Promise<RestoreRequestResult> {
    return this.request({ operation: 'RestoreObject', ...ref }, options, async () => 'done' as const);
  }

  /** Versioning is never enabled here (the emulator covers it). */
  getVersioning(bucket: string, options?: RequestOptions): Promise<BucketVersioning | undefined> {
    return this.request({ operation: 'GetBucketVersioning', bucket, key: '' }, options, async () => undefined);
  }

  /** Without versioning, each object is its one current version. */
  listObjectVersions(bucket: string, prefix = '', options?: RequestOptions): Promise<ListedVersion[]> {
    return this.request({ operation: 'ListObjectVersions', bucket, key: prefix }, options, async () =>
      [...this.objects]
        .filter(([k]) => k.startsWith(refKey(bucket, prefix)))
        .map(([k, o]) => ({
          key: k.slice(refKey(bucket, '').length),
          versionId: 'null',
          isLatest: true,
          lastModified: o.lastModified,
          deleteMarker: false,
          size: o.bytes.length,
          etag: o.etag,
          storageClass: o.storageClass,
        })),
    );
  }

  getLifecycleRules(bucket: string, options?: RequestOptions): Promise<LifecycleRule[]> {
    return this.request({ operation: 'GetBucketLifecycle', bucket, key: '' }, options, async () => [...(this.lifecycle.get(bucket) ?? [])]);
  }

  putLifecycleRules(bucket: string, rules: readonly LifecycleRule[], options?: RequestOptions): Promise<void> {
    return this.request({ operation: 'PutBucketLifecycle', bucket, key: '' }, options, async () => {
      this.lifecycle.set(bucket, [...rules]);
    });
  }

  get(ref: ObjectRef, options: GetOptions = {}): Promise<ObjectDownload> {
    return this.request({ operation: 'GetObject', ...ref }, options, async () => {
      const o = this.objects.get(refKey(ref.bucket, ref.key));
      if (!o) throw fail('GetObject', ref, 'NoSuchKey', 404);
      if (options.ifMatch !== undefined && options.ifMatch !== o.etag) throw fail('GetObject', ref, 'PreconditionFailed', 412);
      const bytes = options.range ? o.bytes.subarray(options.range.start, options.range.end + 1) : o.bytes;
      return {
        etag: o.etag,
        crc64: o.crc64,
        size: o.bytes.length,
        meta: { ...o.meta },
        stream: Readable.from([bytes]),
        contentLength: bytes.length,
      };
    });
  }

  /** Pages of 1,000 keys, as OSS answers; the token is the last key of the page before. */
  listObjectsPage(
    bucket: string,
    prefix: string,
    continuationToken: string | undefined,
    options?: RequestOptions,
  ): Promise<ListedObjectsPage> {
    return this.request({ operation: 'ListObjectsV2', bucket, key: prefix }, options, async () => {
      const after = continuationToken === undefined ? undefined : Buffer.from(continuationToken);
      const keys = [...this.objects]
        .map(([k, o]) => ({ key: k.slice(bucket.length + 1), bucketKey: k, o }))
        .filter(({ bucketKey, key }) => bucketKey.startsWith(`${bucket}\0`) && key.startsWith(prefix))
        .filter(({ key }) => after === undefined || Buffer.compare(Buffer.from(key), after) > 0)
        .sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)));
      const objects = keys
        .slice(0, 1000)
        .map(({ key, o }) => ({ key, size: o.bytes.length, etag: o.etag, storageClass: o.storageClass, lastModified: o.lastModified }));
      return keys.length > 1000 ? { objects, next: objects.at(-1)!.key } : { objects };
    });
  }

  private async request<T>(request: MemoryRequest, options: RequestOptions | undefined, handle: () => Promise<T>): Promise<T> {
    this.requests.push(request);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      options?.signal?.throwIfAborted();
      await this.beforeRequest(request);
      options?.signal?.throwIfAborted();
      return await handle();
    } finally {
      this.inFlight--;
    }
  }

  private upload(ref: ObjectRef, uploadId: string, operation: string): Upload {
    const upload = this.uploads.get(uploadId);
    if (upload?.ref.bucket !== ref.bucket || upload.ref.key !== ref.key) throw fail(operation, ref, 'NoSuchUpload', 404);
    return upload;
  }

  private store(ref: ObjectRef, bytes: Buffer, etag: string, options: NewObjectOptions): StoredChecksums {
    const stored = {
      bytes,
      etag,
      crc64: crc64(bytes),
      meta: { ...options.meta },
      storageClass: options.storageClass,
      lastModified: new Date().toISOString(),
    };
    this.objects.set(refKey(ref.bucket, ref.key), stored);
    return { etag, crc64: stored.crc64 };
  }

  private storePart(ref: ObjectRef, uploadId: string, partNumber: number, bytes: Buffer, operation: string): StoredChecksums {
    const etag = `"${md5(bytes).toString('hex').toUpperCase()}"`;
    this.upload(ref, uploadId, operation).parts.set(partNumber, { bytes, etag });
    return { etag, crc64: crc64(bytes) };
  }
}

function fail(operation: string, ref: ObjectRef, code: string, status: number): StorageError {
  return new StorageError(operation, ref.bucket, ref.key, code, status, undefined);
}

/** The whole body, checked against its size as OSS would. */
async function readBody(body: Body, ref: ObjectRef, operation: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body.open()) chunks.push(chunk as Buffer);
  const bytes = Buffer.concat(chunks);
  if (bytes.length !== body.size) throw fail(operation, ref, 'IncompleteBody', 400);
  return bytes;
}
