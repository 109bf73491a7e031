import type { Bucket } from './bucket.js';
import { OssError, ossErrors } from './oss-error.js';
import type { RequestContext } from './request-context.js';
import { ENCRYPTION_ALGORITHMS, STORAGE_CLASSES, STORED_HEADERS } from './types.js';
import type { ObjectAttributes, ObjectEncryption, StorageClass } from './types.js';

/** OSS's object tag limits. */
const TAG_LIMITS = { count: 10, keyLength: 128, valueLength: 256 } as const;
/** The only characters OSS takes in an object tag's key and value (its docs: error 0010-00000212, -217). */
const TAG_TEXT = /^[A-Za-z0-9 +\-=._:/]*$/;

/** The `x-oss-meta-*` headers of a request, names lowercased as Node gives them. */
export function userMetaOf(ctx: RequestContext): Record<string, string> {
  const names = Object.keys(ctx.req.headers).filter((name) => name.startsWith('x-oss-meta-'));
  return Object.fromEntries(names.map((name) => [name, ctx.header(name) ?? '']));
}

/** The STORED_HEADERS a request sets, kept as sent (bytes as Node decoded them) and returned as they came. */
export function storedHeadersOf(ctx: RequestContext): Record<string, string> | undefined {
  const names = STORED_HEADERS.filter((name) => ctx.header(name)); // set and not empty
  return names.length > 0 ? Object.fromEntries(names.map((name) => [name, ctx.header(name)!])) : undefined;
}

/** What a new object (PutObject) or upload (InitiateMultipartUpload) keeps from its request headers. */
export function newObjectAttributesOf(ctx: RequestContext): ObjectAttributes {
  return {
    contentType: contentTypeOf(ctx),
    userMeta: userMetaOf(ctx),
    storageClass: storageClassOf(ctx),
    storedHeaders: storedHeadersOf(ctx),
    encryption: encryptionOf(ctx),
    tags: tagsOf(ctx),
  };
}

export function contentTypeOf(ctx: RequestContext): string {
  return ctx.header('content-type') || 'application/octet-stream';
}

/** x-oss-storage-class, checked against OSS's classes (InvalidArgument otherwise, as OSS's EC 0017-00000132). */
export function storageClassOf(ctx: RequestContext): StorageClass | undefined {
  const raw = ctx.header('x-oss-storage-class');
  if (raw === undefined) return undefined;
  const known = STORAGE_CLASSES.find((c) => c.toLowerCase() === raw.toLowerCase());
  if (!known) throw ossErrors.invalidValue('The storage class you specified is not valid.', 'x-oss-storage-class', raw);
  return known;
}

/**
 * x-oss-server-side-encryption of PutObject or InitiateMultipartUpload (parts inherit it). OSS
 * refuses an unknown algorithm, and a key id or SM4 data encryption without KMS.
 */
function encryptionOf(ctx: RequestContext): ObjectEncryption | undefined {
  const raw = ctx.header('x-oss-server-side-encryption');
  const keyId = ctx.header('x-oss-server-side-encryption-key-id');
  const dataEncryption = ctx.header('x-oss-server-side-data-encryption');
  if (raw === undefined) {
    if (keyId === undefined && dataEncryption === undefined) return undefined;
    throw ossErrors.invalidValue(
      'x-oss-server-side-encryption-key-id needs x-oss-server-side-encryption: KMS.',
      'x-oss-server-side-encryption',
      '',
    );
  }
  const algorithm = ENCRYPTION_ALGORITHMS.find((a) => a === raw);
  if (!algorithm)
    throw new OssError(
      400,
      'InvalidEncryptionAlgorithmError',
      'The Encryption request you specified is not valid. Supported value: AES256/KMS/SM4',
      { ArgumentName: 'x-oss-server-side-encryption', ArgumentValue: raw },
    );
  if (algorithm !== 'KMS' && (keyId !== undefined || dataEncryption !== undefined))
    throw ossErrors.invalidValue(
      'A KMS key id or data encryption is only valid with x-oss-server-side-encryption: KMS.',
      'x-oss-server-side-encryption-key-id',
      keyId ?? dataEncryption ?? '',
    );
  if (dataEncryption !== undefined && dataEncryption !== 'SM4')
    throw ossErrors.invalidValue('x-oss-server-side-data-encryption must be SM4.', 'x-oss-server-side-data-encryption', dataEncryption);
  return { algorithm, ...(keyId ? { keyId } : {}), ...(dataEncryption ? { dataEncryption } : {}) };
}

/** x-oss-tagging (`k1=v1&k2=v2`, URL-encoded), checked against OSS's limits. */
function tagsOf(ctx: RequestContext): Array<[string, string]> | undefined {
  const raw = ctx.header('x-oss-tagging');
  if (raw === undefined || raw === '') return undefined;
  const bad = (message: string): OssError => ossErrors.invalidValue(message, 'x-oss-tagging', raw);
  let tags: Array<[string, string]>;
  try {
    tags = raw.split('&').map((pair) => {
      const eq = pair.indexOf('=');
      const [k, v] = eq < 0 ? [pair, ''] : [pair.slice(0, eq), pair.slice(eq + 1)];
      return [decodeURIComponent(k), decodeURIComponent(v)];
    });
  } catch {
    throw bad('The tagging header is not URL-encoded.');
  }
  if (tags.length > TAG_LIMITS.count) throw bad(`An object can have at most ${TAG_LIMITS.count} tags.`);
  if (new Set(tags.map(([k]) => k)).size !== tags.length) throw bad('Tag keys must be unique.');
  for (const [k, v] of tags) {
    if (k === '' || k.length > TAG_LIMITS.keyLength) throw bad(`A tag key must be 1 to ${TAG_LIMITS.keyLength} characters.`);
    if (v.length > TAG_LIMITS.valueLength) throw bad(`A tag value must be at most ${TAG_LIMITS.valueLength} characters.`);
    if (!TAG_TEXT.test(k) || !TAG_TEXT.test(v)) throw bad('A tag may contain only letters, digits, spaces and + - = . _ : /.');
  }
  return tags;
}

/** GetObjectTagging: `GET /key?tagging` (optionally `&versionId=`), the tags given at upload. */
export async function getObjectTagging(ctx: RequestContext, bucket: Bucket): Promise<void> {
  const meta = bucket.objects.find(ctx.parsed.key!, ctx.parsed.query.versionId);
  ctx.sendXml('Tagging', { TagSet: { Tag: (meta.tags ?? []).map(([Key, Value]) => ({ Key, Value })) } });
}
