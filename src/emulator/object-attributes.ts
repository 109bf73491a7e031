import type { Bucket } from './bucket.js';
import { OssError, ossErrors } from './oss-error.js';
import type { RequestContext } from './request-context.js';
import { ENCRYPTION_ALGORITHMS } from './types.js';
import type { ObjectEncryption } from './types.js';

/** OSS's object tag limits. */
const TAG_LIMITS = { count: 10, keyLength: 128, valueLength: 256 } as const;
/** The only characters OSS takes in an object tag's key and value (its docs: error 0010-00000212, -217). */
const TAG_TEXT = /^[A-Za-z0-9 +\-=._:/]*$/;

/**
 * x-oss-server-side-encryption of PutObject or InitiateMultipartUpload (parts inherit it). OSS
 * refuses an unknown algorithm, and a key id or SM4 data encryption without KMS.
 */
export function encryptionOf(ctx: RequestContext): ObjectEncryption | undefined {
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
export function tagsOf(ctx: RequestContext): Array<[string, string]> | undefined {
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
