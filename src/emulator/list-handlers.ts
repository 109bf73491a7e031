import type { Bucket } from './bucket.js';
import { ossErrors } from './oss-error.js';
import type { RequestContext } from './request-context.js';
import { compareUtf8 } from '../lib/utf8-order.js';
import { ossTime } from './xml.js';
import type { XmlObject } from './xml.js';
import { versionIdOf } from './object-store.js';
import type { ObjectMeta } from './types.js';

/** OSS has no accounts here; every object is owned by this one. */
const OWNER = { ID: '1000000000000000', DisplayName: '1000000000000000' };

/** What every listing reads from its query; `encode` is URL-encoding with encoding-type=url (as OSS answers it), else none. */
interface Listing {
  prefix: string;
  delimiter: string;
  maxKeys: number;
  encode: (text: string) => string;
}

function listingOf(ctx: RequestContext, maxName: string, defaultMax: number): Listing {
  const { prefix = '', delimiter = '', [maxName]: rawMax, 'encoding-type': encoding } = ctx.parsed.query;
  const maxKeys = rawMax === undefined || rawMax === '' ? defaultMax : Number(rawMax);
  if (!Number.isInteger(maxKeys) || maxKeys < 1 || maxKeys > 1000)
    throw ossErrors.invalidValue(`Argument ${maxName} must be an integer between 1 and 1000.`, maxName, rawMax ?? '');
  return { prefix, delimiter, maxKeys, encode: encoding === 'url' ? encodeURIComponent : (text) => text };
}

interface ListingPage<T> {
  items: T[];
  commonPrefixes: string[];
  truncated: boolean;
  /** The last key or common prefix returned: where the next page starts after. */
  nextMarker?: string;
}

/**
 * One page of a sorted listing with prefix filtering and delimiter roll-up, as OSS does it: each
 * common prefix counts once against maxKeys. `items` must be in listing order, starting after the
 * marker. A marker that is a common prefix this listing returned rolled up everything under it.
 */
function pageOf<T>(items: Iterable<T>, keyOf: (item: T) => string, listing: Listing, marker: string): ListingPage<T> {
  const { prefix, delimiter, maxKeys } = listing;
  const markerRolledUp =
    delimiter !== '' && marker.startsWith(prefix) && marker.indexOf(delimiter, prefix.length) === marker.length - delimiter.length;
  const page: ListingPage<T> = { items: [], commonPrefixes: [], truncated: false };
  let count = 0;
  for (const item of items) {
    const key = keyOf(item);
    if (markerRolledUp && key.startsWith(marker)) continue;
    if (!key.startsWith(prefix)) {
      if (compareUtf8(key, prefix) > 0) break; // past every key with the prefix
      continue;
    }
    const cut = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
    const common = cut >= 0 ? key.slice(0, cut + delimiter.length) : undefined;
    if (common !== undefined && common === page.commonPrefixes.at(-1)) continue;
    if (count === maxKeys) {
      page.truncated = true;
      break;
    }
    count++;
    if (common !== undefined) {
      page.commonPrefixes.push(common);
      page.nextMarker = common;
    } else {
      page.items.push(item);
      page.nextMarker = key;
    }
  }
  if (!page.truncated) delete page.nextMarker;
  return page;
}

/** The elements a listed object and a listed version share. */
function listedObject(meta: ObjectMeta): XmlObject {
  return {
    LastModified: ossTime(meta.lastModified),
    ETag: `"${meta.etag}"`,
    Type: meta.objectType,
    Size: meta.size,
    StorageClass: meta.storageClass ?? 'Standard',
  };
}

/** ListObjects (v1, `marker`) and ListObjectsV2 (`list-type=2`, a continuation token or `start-after`). */
export async function listObjects(ctx: RequestContext, bucket: Bucket): Promise<void> {
  const query = ctx.parsed.query;
  const v2 = ctx.parsed.operation === 'ListObjectsV2';
  const listing = listingOf(ctx, 'max-keys', 100);
  const { prefix, delimiter, encode } = listing;
  const token = v2 ? query['continuation-token'] : undefined;
  const startAfter = query['start-after'] ?? '';
  // Continuation tokens are opaque to clients; ours is the marker, base64url'd.
  const marker = !v2 ? (query.marker ?? '') : token ? Buffer.from(token, 'base64url').toString('utf8') : startAfter;
  const start = marker !== '' && compareUtf8(marker, prefix) >= 0 ? marker : prefix;
  const page = pageOf(bucket.objects.keysFrom(start, start !== marker), (k) => k, listing, marker);
  const withOwner = !v2 || query['fetch-owner'] === 'true';
  const contents = page.items.map((key) => ({
    Key: encode(key),
    ...listedObject(bucket.objects.get(key)!),
    Owner: withOwner ? OWNER : undefined,
  }));
  const next = page.nextMarker;
  ctx.sendXml('ListBucketResult', {
    Name: bucket.name,
    Prefix: encode(prefix),
    ...(v2 ? { StartAfter: startAfter ? encode(startAfter) : undefined, ContinuationToken: token } : { Marker: encode(marker) }),
    MaxKeys: listing.maxKeys,
    Delimiter: encode(delimiter),
    EncodingType: query['encoding-type'],
    IsTruncated: page.truncated,
    ...(v2
      ? { NextContinuationToken: next && Buffer.from(next).toString('base64url'), KeyCount: contents.length + page.commonPrefixes.length }
      : { NextMarker: next && encode(next) }),
    Contents: contents,
    CommonPrefixes: page.commonPrefixes.map((p) => ({ Prefix: encode(p) })),
  });
}

export async function listMultipartUploads(ctx: RequestContext, bucket: Bucket): Promise<void> {
  const listing = listingOf(ctx, 'max-uploads', 1000);
  const { encode } = listing;
  const { 'key-marker': keyMarker = '', 'upload-id-marker': uploadIdMarker = '' } = ctx.parsed.query;
  // Listing order: key, then upload ID (OSS sorts one key's uploads by upload ID, not by time).
  const all = bucket.uploads.all().sort((a, b) => compareUtf8(a.key, b.key) || compareUtf8(a.uploadId, b.uploadId));
  // OSS's documented marker rule: keys after key-marker, plus, when upload-id-marker is given, the
  // key-marker key's uploads whose ID sorts after it. A comparison, not a lookup: the marker upload
  // may have been completed or aborted since the last page, and the rest of its key must still come.
  const after = (u: { key: string; uploadId: string }): boolean => {
    const cmp = compareUtf8(u.key, keyMarker);
    return cmp > 0 || (cmp === 0 && uploadIdMarker !== '' && compareUtf8(u.uploadId, uploadIdMarker) > 0);
  };
  const page = pageOf(all.filter(after), (u) => u.key, listing, keyMarker);
  const last = page.items.at(-1);
  ctx.sendXml('ListMultipartUploadsResult', {
    Bucket: bucket.name,
    KeyMarker: encode(keyMarker),
    UploadIdMarker: uploadIdMarker,
    NextKeyMarker: page.truncated ? encode(page.nextMarker ?? '') : '',
    NextUploadIdMarker: page.truncated && last && page.nextMarker === last.key ? last.uploadId : '',
    Delimiter: encode(listing.delimiter),
    Prefix: encode(listing.prefix),
    EncodingType: ctx.parsed.query['encoding-type'],
    MaxUploads: listing.maxKeys,
    IsTruncated: page.truncated,
    Upload: page.items.map((u) => ({
      Key: encode(u.key),
      UploadId: u.uploadId,
      StorageClass: u.storageClass ?? 'Standard',
      Initiated: ossTime(u.initiated),
    })),
    CommonPrefixes: page.commonPrefixes.map((p) => ({ Prefix: encode(p) })),
  });
}

/** One entry of ListObjectVersions: a version or delete marker of a key (meta.key), newest of the key first. */
interface VersionEntry {
  meta: ObjectMeta;
  latest: boolean;
}

/** Every version after (key-marker, version-id-marker), in key order, each key's newest first. */
function* versionEntries(bucket: Bucket, prefix: string, keyMarker: string, versionIdMarker: string): Generator<VersionEntry> {
  const fromMarker = keyMarker !== '' && compareUtf8(keyMarker, prefix) >= 0;
  // With a version-id marker the marker key's older versions still come; without, the key is done.
  const inclusive = !fromMarker || versionIdMarker !== '';
  for (const key of bucket.objects.versionKeysFrom(fromMarker ? keyMarker : prefix, inclusive)) {
    const versions = bucket.objects.versionsOf(key);
    // The marker key: after its marker version (all of it when that version is gone since).
    const markerAt = fromMarker && key === keyMarker ? versions.findIndex((v) => versionIdOf(v) === versionIdMarker) : -2;
    const from = markerAt === -2 ? 0 : markerAt === -1 ? versions.length : markerAt + 1;
    for (let i = from; i < versions.length; i++) yield { meta: versions[i]!, latest: i === 0 };
  }
}

/** ListObjectVersions: `GET /?versions` with prefix, delimiter, key-marker, version-id-marker, max-keys. */
export async function listObjectVersions(ctx: RequestContext, bucket: Bucket): Promise<void> {
  const listing = listingOf(ctx, 'max-keys', 100);
  const { encode } = listing;
  const { 'key-marker': keyMarker = '', 'version-id-marker': versionIdMarker = '' } = ctx.parsed.query;
  const page = pageOf(versionEntries(bucket, listing.prefix, keyMarker, versionIdMarker), (e) => e.meta.key, listing, keyMarker);
  const last = page.items.at(-1);
  const entry = ({ meta, latest }: VersionEntry): XmlObject => {
    const common = { Key: encode(meta.key), VersionId: versionIdOf(meta), IsLatest: latest, LastModified: ossTime(meta.lastModified) };
    if (meta.deleteMarker) return { DeleteMarker: { ...common, Owner: OWNER } };
    return { Version: { ...common, ...listedObject(meta), Owner: OWNER } };
  };
  ctx.sendXml('ListVersionsResult', {
    Name: bucket.name,
    Prefix: encode(listing.prefix),
    KeyMarker: encode(keyMarker),
    VersionIdMarker: versionIdMarker,
    MaxKeys: listing.maxKeys,
    Delimiter: encode(listing.delimiter),
    EncodingType: ctx.parsed.query['encoding-type'],
    IsTruncated: page.truncated,
    NextKeyMarker: page.truncated ? encode(page.nextMarker ?? '') : undefined,
    NextVersionIdMarker: page.truncated && last && page.nextMarker === last.meta.key ? versionIdOf(last.meta) : undefined,
    // Versions and delete markers interleaved, in listing order.
    '': page.items.map(entry),
    CommonPrefixes: page.commonPrefixes.map((p) => ({ Prefix: encode(p) })),
  });
}
