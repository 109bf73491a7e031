import { createHash } from 'node:crypto';
import { drainBody, readSmallBody, receiveBody } from './body-reader.js';
import { ossTime } from './xml.js';
import type { Bucket } from './bucket.js';
import { uploadPartCopy } from './copy-handlers.js';
import { crc64CombineAll } from '../lib/crc64.js';
import type { PartMeta } from './multipart-store.js';
import { MAX_SINGLE_UPLOAD, uploadResultHeaders } from './object-handlers.js';
import { newObjectAttributesOf } from './object-attributes.js';
import { ossErrors } from './oss-error.js';
import { checkObjectKey } from './parsed-request.js';
import type { RequestContext } from './request-context.js';
import { elementTexts, unescapeXml } from './xml.js';

/** OSS's minimum size for every part but the last, checked at Complete. */
const MIN_PART_SIZE = 100 * 1024;
const MAX_PART_NUMBER = 10_000;
/** A Complete body lists at most 10,000 parts of ~80 bytes each. */
const MAX_COMPLETE_BODY = 2 * 1024 * 1024;

export async function initiateMultipartUpload(ctx: RequestContext, bucket: Bucket): Promise<void> {
  const key = ctx.parsed.key!;
  checkObjectKey(key);
  await drainBody(ctx);
  const upload = await bucket.uploads.initiate(key, newObjectAttributesOf(ctx));
  ctx.sendXml('InitiateMultipartUploadResult', { Bucket: bucket.name, Key: key, UploadId: upload.uploadId });
}

export async function uploadPart(ctx: RequestContext, bucket: Bucket, tempDir: string): Promise<void> {
  const partNumber = ctx.parsed.partNumber ?? NaN;
  if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > MAX_PART_NUMBER) {
    const given = String(ctx.parsed.query.partNumber);
    throw ossErrors.invalidValue('Part number must be an integer between 1 and 10000, inclusive.', 'partNumber', given);
  }
  if (ctx.parsed.operation === 'UploadPartCopy') return uploadPartCopy(ctx, bucket, tempDir, partNumber);
  const { uploadId } = bucket.uploads.get(ctx.parsed.uploadId ?? '', ctx.parsed.key);
  const part = await receiveBody(ctx, tempDir, MAX_SINGLE_UPLOAD, (path, body) =>
    bucket.uploads.commitPart(uploadId, partNumber, path, body),
  );
  ctx.sendEmpty(200, uploadResultHeaders(part.etag, part.crc64));
}

function boundedInt(raw: string | undefined, fallback: number, max: number, name: string): number {
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw ossErrors.invalidValue(`Argument ${name} is invalid.`, name, raw);
  return Math.min(value, max);
}

export async function listParts(ctx: RequestContext, bucket: Bucket): Promise<void> {
  const upload = bucket.uploads.get(ctx.parsed.uploadId ?? '', ctx.parsed.key);
  const maxParts = boundedInt(ctx.parsed.query['max-parts'], 1000, 1000, 'max-parts');
  const marker = boundedInt(ctx.parsed.query['part-number-marker'], 0, MAX_PART_NUMBER, 'part-number-marker');
  const after = bucket.uploads.parts(upload.uploadId).filter((p) => p.partNumber > marker);
  const page = after.slice(0, maxParts);
  const truncated = after.length > page.length;
  ctx.sendXml('ListPartsResult', {
    Bucket: bucket.name,
    Key: upload.key,
    UploadId: upload.uploadId,
    PartNumberMarker: marker,
    NextPartNumberMarker: page.at(-1)?.partNumber ?? marker,
    MaxParts: maxParts,
    IsTruncated: truncated,
    Part: page.map((p) => ({
      PartNumber: p.partNumber,
      LastModified: ossTime(p.lastModified),
      ETag: `"${p.etag}"`,
      HashCrc64ecma: p.crc64,
      Size: p.size,
    })),
  });
}

type CompletePartRef = Pick<PartMeta, 'partNumber' | 'etag'>;

/** The part list of a CompleteMultipartUpload body, in the order sent; MalformedXML if unreadable. */
function parseCompleteRequest(body: string): CompletePartRef[] {
  if (!/<CompleteMultipartUpload[\s>]/.test(body)) throw ossErrors.malformedXml();
  return elementTexts(body, 'Part').map((part) => {
    const [number] = elementTexts(part, 'PartNumber');
    const [etag] = elementTexts(part, 'ETag');
    const partNumber = Number(number?.trim());
    if (!Number.isInteger(partNumber) || etag === undefined) throw ossErrors.malformedXml();
    // OSS accepts an ETag with or without quotes, in either case.
    return { partNumber, etag: unescapeXml(etag).trim().replace(/^"|"$/g, '').toUpperCase() };
  });
}

/** What a Complete asks for: every stored part (x-oss-complete-all), or the listed ones. */
async function requestedParts(ctx: RequestContext): Promise<CompletePartRef[] | 'all'> {
  const body = (await readSmallBody(ctx, MAX_COMPLETE_BODY)).toString('utf8');
  if (ctx.header('x-oss-complete-all') === 'yes') {
    if (body.trim() !== '') throw ossErrors.invalidArgument('Should not specify both complete all header and http body.');
    return 'all';
  }
  const requested = parseCompleteRequest(body);
  if (requested.length === 0) throw ossErrors.malformedXml();
  return requested;
}

/** The stored parts a Complete names, checked the way OSS checks them, in the order given. */
function chosenParts(requested: CompletePartRef[] | 'all', stored: PartMeta[]): PartMeta[] {
  const parts =
    requested === 'all'
      ? stored
      : requested.map((ref, i) => {
          if (i > 0 && ref.partNumber <= requested[i - 1]!.partNumber) throw ossErrors.invalidPartOrder();
          const part = stored.find((p) => p.partNumber === ref.partNumber);
          if (!part || part.etag !== ref.etag) throw ossErrors.invalidPart();
          return part;
        });
  if (parts.slice(0, -1).some((p) => p.size < MIN_PART_SIZE)) throw ossErrors.entityTooSmall();
  return parts;
}

export async function completeMultipartUpload(ctx: RequestContext, bucket: Bucket): Promise<void> {
  const { uploadId } = bucket.uploads.get(ctx.parsed.uploadId ?? '', ctx.parsed.key);
  const requested = await requestedParts(ctx);

  // Exclusive with part commits and Abort: the parts cannot change while they are linked in.
  const result = await bucket.uploads.locks.run(uploadId, async () => {
    const upload = bucket.uploads.get(uploadId, ctx.parsed.key); // still there after waiting?
    const parts = chosenParts(requested, bucket.uploads.parts(uploadId));
    bucket.refuseIfImmutable(upload.key);
    const etagMd5 = createHash('md5');
    for (const p of parts) etagMd5.update(Buffer.from(p.etag, 'hex'));
    const { uploadId: _uploadId, initiated: _initiated, ...attributes } = upload; // the key and what initiate kept
    const meta = {
      ...attributes,
      size: parts.reduce((sum, p) => sum + p.size, 0),
      etag: `${etagMd5.digest('hex').toUpperCase()}-${parts.length}`,
      // Combined from the part CRCs: Complete never re-reads the data to hash it.
      crc64: crc64CombineAll(parts),
      lastModified: Date.now(),
      objectType: 'Multipart' as const,
    };
    // The object shares the part files (hard links): Complete copies and re-reads nothing.
    const pieces = parts.map((p) => ({ path: bucket.uploads.partPath(uploadId, p), size: p.size }));
    const stored = await bucket.objects.commit(meta, pieces, 'link');
    await bucket.uploads.remove(uploadId);
    return stored;
  });
  const etag = `"${result.etag}"`;
  ctx.sendXml(
    'CompleteMultipartUploadResult',
    { Location: `http://${ctx.header('host') ?? ''}/${result.key}`, Bucket: bucket.name, Key: result.key, ETag: etag },
    { etag, 'x-oss-hash-crc64ecma': result.crc64, 'x-oss-version-id': result.versionId },
  );
}

export async function abortMultipartUpload(ctx: RequestContext, bucket: Bucket): Promise<void> {
  const uploadId = ctx.parsed.uploadId ?? '';
  await bucket.uploads.locks.run(uploadId, async () => {
    bucket.uploads.get(uploadId, ctx.parsed.key);
    await bucket.uploads.remove(uploadId);
  });
  ctx.sendEmpty(204);
}
