import type { OutgoingHttpHeaders } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { receiveBody } from './body-reader.js';
import type { Bucket } from './bucket.js';
import { OssError, ossErrors } from './oss-error.js';
import { newObjectAttributesOf } from './object-attributes.js';
import { OpenObject } from './object-reader.js';
import type { ByteRange } from './object-reader.js';
import { flipByteAt, paceTo } from './fault-actions.js';
import { checkObjectKey } from './parsed-request.js';
import type { RequestContext } from './request-context.js';
import { utf8AsBytes } from './authenticator.js';
import type { ObjectMeta } from './types.js';

/** OSS's limit for PutObject and for one part. */
export const MAX_SINGLE_UPLOAD = 5 * 1024 ** 3;

/** The headers OSS answers a stored upload (object or part) with. */
export function uploadResultHeaders(md5Hex: string, crc64: string): OutgoingHttpHeaders {
  return { etag: `"${md5Hex}"`, 'x-oss-hash-crc64ecma': crc64, 'content-md5': Buffer.from(md5Hex, 'hex').toString('base64') };
}

export async function putObject(ctx: RequestContext, bucket: Bucket, tempDir: string): Promise<void> {
  const key = ctx.parsed.key!;
  checkObjectKey(key);
  bucket.refuseIfImmutable(key);
  const attributes = newObjectAttributesOf(ctx);
  const stored = await receiveBody(ctx, tempDir, MAX_SINGLE_UPLOAD, (path, body) => {
    const meta = { key, size: body.size, etag: body.md5Hex, crc64: body.crc64, lastModified: Date.now(), objectType: 'Normal' as const };
    return bucket.objects.commit({ ...meta, ...attributes }, [{ path, size: body.size }], 'move');
  });
  ctx.sendEmpty(200, { ...uploadResultHeaders(stored.etag, stored.crc64), 'x-oss-version-id': stored.versionId });
}

/**
 * OSS's Range rules: only the first range counts, and an invalid or out-of-range one means the whole
 * object (200, returned as undefined), except with `x-oss-range-behavior: standard`, where an end
 * past the object is clamped and a start past it is 416.
 */
function resolveRange(header: string | undefined, size: number, standard: boolean): ByteRange | undefined {
  const [, first = '', last = ''] = /^bytes=(\d*)-(\d*)/.exec(header?.trim() ?? '') ?? [];
  if (first === '' && last === '') return undefined;
  let start: number;
  let end: number;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0 || (suffix > size && !standard)) return undefined;
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(first);
    end = last === '' ? size - 1 : Number(last);
    if (end < start) return undefined;
    if (start >= size && standard) throw ossErrors.invalidRange();
    if (start >= size || (end >= size && !standard)) return undefined;
    end = Math.min(end, size - 1);
  }
  return size === 0 ? undefined : { start, end };
}

/** If-Match / If-None-Match / If-(Un)Modified-Since: undefined to go on, else the status to answer. */
function preconditionStatus(ctx: RequestContext, meta: ObjectMeta): 304 | undefined {
  const etag = `"${meta.etag}"`;
  const ifMatch = ctx.header('if-match');
  if (ifMatch !== undefined && ifMatch !== '*' && ifMatch.replace(/^W\//, '') !== etag) throw ossErrors.preconditionFailed('If-Match');
  const ifUnmodified = ctx.header('if-unmodified-since');
  if (ifUnmodified !== undefined && meta.lastModified > Date.parse(ifUnmodified) + 999)
    throw ossErrors.preconditionFailed('If-Unmodified-Since');
  const ifNoneMatch = ctx.header('if-none-match');
  if (ifNoneMatch !== undefined) return ifNoneMatch === etag || ifNoneMatch === '*' ? 304 : undefined;
  const ifModified = ctx.header('if-modified-since');
  if (ifModified !== undefined && meta.lastModified <= Date.parse(ifModified) + 999) return 304;
  return undefined;
}

/** GetObject's `response-*` query parameters: headers the answer carries instead of the stored ones. */
function responseOverrides(ctx: RequestContext): OutgoingHttpHeaders {
  const overrides: OutgoingHttpHeaders = {};
  for (const name of ['content-type', 'content-language', 'expires', 'cache-control', 'content-disposition', 'content-encoding']) {
    const value = ctx.parsed.query[`response-${name}`];
    // Query text is decoded Unicode; the header carries its UTF-8 bytes (Node writes one byte per char).
    if (value !== undefined) overrides[name] = utf8AsBytes(value);
  }
  return overrides;
}

/** What GetObject and HeadObject say about an object (undefined: no such header). */
function objectHeaders(meta: ObjectMeta): OutgoingHttpHeaders {
  return {
    'content-type': meta.contentType,
    etag: `"${meta.etag}"`,
    'last-modified': new Date(meta.lastModified).toUTCString(),
    'x-oss-hash-crc64ecma': meta.crc64,
    'x-oss-object-type': meta.objectType,
    'x-oss-storage-class': meta.storageClass ?? 'Standard',
    'accept-ranges': 'bytes',
    'x-oss-server-side-encryption': meta.encryption?.algorithm,
    'x-oss-server-side-encryption-key-id': meta.encryption?.keyId,
    'x-oss-server-side-data-encryption': meta.encryption?.dataEncryption,
    'x-oss-tagging-count': meta.tags?.length || undefined,
    'x-oss-version-id': meta.versionId,
    ...meta.storedHeaders,
    ...meta.userMeta,
  };
}

export async function getObject(ctx: RequestContext, bucket: Bucket): Promise<void> {
  const object = await OpenObject.open(bucket, ctx.parsed.key!, ctx.parsed.query.versionId);
  try {
    const { meta } = object;
    if (!bucket.restores.readable(meta)) {
      throw new OssError(403, 'InvalidObjectState', "The operation is not valid for the object's state.", { Key: meta.key });
    }
    if (preconditionStatus(ctx, meta)) return ctx.sendEmpty(304, { etag: `"${meta.etag}"` });
    const standard = ctx.header('x-oss-range-behavior') === 'standard';
    const range = resolveRange(ctx.header('range'), meta.size, standard);
    const headers = { ...objectHeaders(meta), ...responseOverrides(ctx) };
    if (range) {
      const contentRange = `bytes ${range.start}-${range.end}/${meta.size}`;
      ctx.writeHead(206, { ...headers, 'content-range': contentRange, 'content-length': range.end - range.start + 1 });
    } else {
      ctx.writeHead(200, { ...headers, 'content-length': meta.size });
    }
    const wanted = range ?? { start: 0, end: meta.size - 1 };
    const faults = [
      ...(ctx.corruptResponseAtByte !== undefined ? [flipByteAt(ctx.corruptResponseAtByte)] : []),
      ...(ctx.throttleBytesPerSecond !== undefined ? [paceTo(ctx.throttleBytesPerSecond)] : []),
    ];
    const bytes = faults.length === 0 ? object.bytesOf(wanted) : undefined;
    if (bytes) return void ctx.res.end(bytes);
    await pipeline([object.stream(wanted), ...faults, ctx.res]);
  } finally {
    await object.close();
  }
}

export async function headObject(ctx: RequestContext, bucket: Bucket): Promise<void> {
  const meta = bucket.objects.find(ctx.parsed.key!, ctx.parsed.query.versionId);
  if (preconditionStatus(ctx, meta)) return ctx.sendEmpty(304, { etag: `"${meta.etag}"` });
  ctx.sendEmpty(200, { ...objectHeaders(meta), ...bucket.restores.headers(meta), 'content-length': meta.size });
}

export async function deleteObject(ctx: RequestContext, bucket: Bucket): Promise<void> {
  bucket.refuseIfImmutable(ctx.parsed.key!);
  const versionId = ctx.parsed.query.versionId;
  const outcome =
    versionId === undefined ? await bucket.objects.delete(ctx.parsed.key!) : await bucket.objects.deleteVersion(ctx.parsed.key!, versionId);
  ctx.sendEmpty(204, { 'x-oss-delete-marker': outcome.deleteMarker ? 'true' : undefined, 'x-oss-version-id': outcome.versionId });
}
