import { ossTime } from './xml.js';
import { Hasher, drainBody, storeBody } from './body-reader.js';
import type { Bucket } from './bucket.js';
import { MAX_SINGLE_UPLOAD } from './object-handlers.js';
import { contentTypeOf, storageClassOf, storedHeadersOf, userMetaOf } from './object-attributes.js';
import { OpenObject } from './object-reader.js';
import { ossErrors } from './oss-error.js';
import { checkObjectKey } from './parsed-request.js';
import type { RequestContext } from './request-context.js';

/** OSS's limit for CopyObject: larger objects are copied with UploadPartCopy (OSS's CopyObject/UploadPartCopy docs). */
const MAX_COPY_OBJECT = 1024 ** 3;

/**
 * The source key of `x-oss-copy-source: /BUCKET/URL-ENCODED-KEY`. Copies between buckets are real
 * on OSS (same region) but oss-sync never makes one: the emulator answers NotImplemented.
 */
function copySourceKey(ctx: RequestContext, bucket: Bucket): string {
  const raw = ctx.header('x-oss-copy-source') ?? '';
  const match = /^\/?([^/]+)\/(.+)$/.exec(raw.split('?')[0]!);
  if (!match) throw ossErrors.invalidArgument('Copy Source must mention the source bucket and key: /sourcebucket/sourcekey.');
  if (match[1] !== bucket.name) throw ossErrors.notImplemented('Copying between buckets');
  try {
    return decodeURIComponent(match[2]!);
  } catch {
    throw ossErrors.invalidValue('Copy Source is not URL-encoded.', 'x-oss-copy-source', raw);
  }
}

/**
 * CopyObject: `PUT /key` with `x-oss-copy-source`. The data is shared (hard links), never re-read:
 * the copy keeps the source's ETag and CRC-64. `x-oss-metadata-directive: COPY` (the default) keeps
 * the source's user metadata and content type; REPLACE takes the request's.
 */
export async function copyObject(ctx: RequestContext, bucket: Bucket): Promise<void> {
  const key = ctx.parsed.key!;
  checkObjectKey(key);
  const sourceKey = copySourceKey(ctx, bucket);
  await drainBody(ctx);
  const directive = (ctx.header('x-oss-metadata-directive') ?? 'COPY').toUpperCase();
  if (directive !== 'COPY' && directive !== 'REPLACE') {
    throw ossErrors.invalidValue('Invalid metadata directive.', 'x-oss-metadata-directive', directive);
  }
  const source = bucket.objects.get(sourceKey);
  if (!source) throw ossErrors.noSuchKey(sourceKey);
  if (source.size > MAX_COPY_OBJECT)
    throw ossErrors.invalidArgument('The source object is larger than 1 GB: copy it with UploadPartCopy.', {
      ArgumentName: 'x-oss-copy-source',
    });
  bucket.refuseIfImmutable(key);
  const replace = directive === 'REPLACE';
  const meta = {
    key,
    size: source.size,
    etag: source.etag,
    crc64: source.crc64,
    contentType: replace ? contentTypeOf(ctx) : source.contentType,
    lastModified: Date.now(),
    userMeta: replace ? userMetaOf(ctx) : source.userMeta,
    objectType: source.objectType,
    storageClass: storageClassOf(ctx) ?? source.storageClass,
    storedHeaders: replace ? storedHeadersOf(ctx) : source.storedHeaders,
  };
  try {
    await bucket.objects.commit(meta, bucket.objects.dataPieces(source), 'link');
  } catch (err) {
    // Deleted or overwritten between the lookup and the link: as if it had never been there.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw ossErrors.noSuchKey(sourceKey);
    throw err;
  }
  const etag = `"${meta.etag}"`;
  ctx.sendXml('CopyObjectResult', { ETag: etag, LastModified: ossTime(meta.lastModified) }, { etag, 'x-oss-hash-crc64ecma': meta.crc64 });
}

/** `x-oss-copy-source-range: bytes=A-B` (inclusive), or the whole source when absent. */
function copyRange(ctx: RequestContext, size: number): { start: number; end: number } {
  const raw = ctx.header('x-oss-copy-source-range');
  if (raw === undefined) return { start: 0, end: size - 1 };
  const match = /^bytes=(\d+)-(\d+)$/.exec(raw.trim());
  const start = Number(match?.[1]);
  const end = Number(match?.[2]);
  if (!match || end < start || end >= size) {
    throw ossErrors.invalidValue('The x-oss-copy-source-range is not valid for the source object.', 'x-oss-copy-source-range', raw);
  }
  return { start, end };
}

/**
 * UploadPartCopy: an UploadPart whose data is a range of an existing object, written and hashed as an
 * uploaded part (its ETag is the range's MD5), so Complete treats both alike.
 */
export async function uploadPartCopy(ctx: RequestContext, bucket: Bucket, tempDir: string, partNumber: number): Promise<void> {
  const { uploadId } = bucket.uploads.get(ctx.parsed.uploadId ?? '', ctx.parsed.key);
  const sourceKey = copySourceKey(ctx, bucket);
  await drainBody(ctx);
  const object = await OpenObject.open(bucket, sourceKey);
  try {
    const range = copyRange(ctx, object.meta.size);
    if (range.end - range.start + 1 > MAX_SINGLE_UPLOAD) throw ossErrors.entityTooLarge();
    const part = await storeBody(object.stream(range), new Hasher(), tempDir, (path, body) =>
      bucket.uploads.commitPart(uploadId, partNumber, path, body),
    );
    const etag = `"${part.etag}"`;
    ctx.sendXml('CopyPartResult', { LastModified: ossTime(part.lastModified), ETag: etag }, { etag, 'x-oss-hash-crc64ecma': part.crc64 });
  } finally {
    await object.close();
  }
}
