import type { Bucket } from './bucket.js';
import { ossErrors } from './oss-error.js';
import type { RequestContext } from './request-context.js';
import { sendXml } from './responses.js';
import { compareUtf8 } from './sorted-key-index.js';
import { ossTime, type XmlElement } from './xml.js';
import { versionIdOf } from './object-store.js';
import type { ObjectMeta } from './types.js';

/** OSS has no accounts here; every object is owned by this one. */
const OWNER: XmlElement[] = [
  ['ID', '1000000000000000'],
  ['DisplayName', '1000000000000000'],
];

interface ListingOptions {
  prefix: string;
  delimiter: string;
  maxKeys: number;
}

interface ListingPage<T> {
  items: T[];
  commonPrefixes: string[];
  truncated: boolean;
  /** The last key or common prefix returned: where the next page starts after. */
  nextMarker?: string;
}

/** True when `marker` is a common prefix this listing would have returned (so everything under it was rolled up). */
function isRolledUpPrefix(marker: string, { prefix, delimiter }: ListingOptions): boolean {
  if (!delimiter || !marker.startsWith(prefix)) return false;
  return marker.indexOf(delimiter, prefix.length) === marker.length - delimiter.length;
}

/**
 * One page of a sorted listing with prefix filtering and delimiter roll-up, as OSS does it:
 * each common prefix counts once against maxKeys. `items` must be in listing order, starting after the marker.
 */
function pageOf<T>(items: Iterable<T>, keyOf: (item: T) => string, options: ListingOptions, skipUnder?: string): ListingPage<T> {
  const { prefix, delimiter, maxKeys } = options;
  const page: ListingPage<T> = { items: [], commonPrefixes: [], truncated: false };
  let count = 0;
  for (const item of items) {
    const key = keyOf(item);
    if (skipUnder !== undefined && key.startsWith(skipUnder)) continue;
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

function maxOf(ctx: RequestContext, name: string, fallback: number): number {
  const raw = ctx.parsed.query[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 1000) {
    throw ossErrors.invalidArgument(`Argument ${name} must be an integer between 1 and 1000.`, { ArgumentName: name, ArgumentValue: raw });
  }
  return value;
}

/** With encoding-type=url, OSS URL-encodes keys and prefixes in the answer. */
function encoderFor(ctx: RequestContext): (text: string) => string {
  return ctx.parsed.query['encoding-type'] === 'url' ? (text) => encodeURIComponent(text) : (text) => text;
}

function listingOptions(ctx: RequestContext, defaultMax: number, maxName: string): ListingOptions {
  return { prefix: ctx.parsed.query.prefix ?? '', delimiter: ctx.parsed.query.delimiter ?? '', maxKeys: maxOf(ctx, maxName, defaultMax) };
}

/** The object keys of a page after `marker`, as Contents elements. */
function objectPage(ctx: RequestContext, bucket: Bucket, options: ListingOptions, marker: string, withOwner: boolean) {
  const start = marker !== '' && compareUtf8(marker, options.prefix) >= 0 ? marker : options.prefix;
  const inclusive = start !== marker;
  const skipUnder = isRolledUpPrefix(marker, options) ? marker : undefined;
  const page = pageOf(bucket.objects.keysFrom(start, inclusive), (k) => k, options, skipUnder);
  const encode = encoderFor(ctx);
  const contents = page.items.map((key) => {
    const meta = bucket.objects.get(key)!;
    return [
      'Contents',
      [
        ['Key', encode(key)],
        ['LastModified', ossTime(meta.lastModified)],
        ['ETag', `"${meta.etag}"`],
        ['Type', meta.objectType],
        ['Size', meta.size],
        ['StorageClass', meta.storageClass ?? 'Standard'],
        ...(withOwner ? ([['Owner', OWNER]] as const) : []),
      ],
    ] as const;
  });
  const prefixes = page.commonPrefixes.map((p) => ['CommonPrefixes', [['Prefix', encode(p)]]] as const);
  return { page, contents, prefixes, encode };
}

export async function listObjects(ctx: RequestContext, bucket: Bucket): Promise<void> {
  const options = listingOptions(ctx, 100, 'max-keys');
  const marker = ctx.parsed.query.marker ?? '';
  const { page, contents, prefixes, encode } = objectPage(ctx, bucket, options, marker, true);
  sendXml(ctx, 200, 'ListBucketResult', [
    ['Name', bucket.name],
    ['Prefix', encode(options.prefix)],
    ['Marker', encode(marker)],
    ['MaxKeys', options.maxKeys],
    ['Delimiter', encode(options.delimiter)],
    ['EncodingType', ctx.parsed.query['encoding-type']],
    ['IsTruncated', page.truncated],
    ['NextMarker', page.nextMarker === undefined ? undefined : encode(page.nextMarker)],
    ...contents,
    ...prefixes,
  ]);
}

/** Continuation tokens are opaque to clients; ours is the marker, base64url'd. */
function decodeToken(token: string): string {
  return Buffer.from(token, 'base64url').toString('utf8');
}

export async function listObjectsV2(ctx: RequestContext, bucket: Bucket): Promise<void> {
  const options = listingOptions(ctx, 100, 'max-keys');
  const token = ctx.parsed.query['continuation-token'];
  const startAfter = ctx.parsed.query['start-after'] ?? '';
  const marker = token ? decodeToken(token) : startAfter;
  const withOwner = ctx.parsed.query['fetch-owner'] === 'true';
  const { page, contents, prefixes, encode } = objectPage(ctx, bucket, options, marker, withOwner);
  sendXml(ctx, 200, 'ListBucketResult', [
    ['Name', bucket.name],
    ['Prefix', encode(options.prefix)],
    ['StartAfter', startAfter ? encode(startAfter) : undefined],
    ['ContinuationToken', token],
    ['MaxKeys', options.maxKeys],
    ['Delimiter', encode(options.delimiter)],
    ['EncodingType', ctx.parsed.query['encoding-type']],
    ['IsTruncated', page.truncated],
    ['NextContinuationToken', page.nextMarker === undefined ? undefined : Buffer.from(page.nextMarker).toString('base64url')],
    ['KeyCount', contents.length + prefixes.length],
    ...contents,
    ...prefixes,
  ]);
}

export async function listMultipartUploads(ctx: RequestContext, bucket: Bucket): Promise<void> {
  const options = listingOptions(ctx, 1000, 'max-uploads');
  const keyMarker = ctx.parsed.query['key-marker'] ?? '';
  const uploadIdMarker = ctx.parsed.query['upload-id-marker'] ?? '';
  // Listing order: key, then upload ID (OSS sorts one key's uploads by upload ID, not by time).
  const all = bucket.uploads.all().sort((a, b) => compareUtf8(a.key, b.key) || compareUtf8(a.uploadId, b.uploadId));
  // OSS's documented marker rule: keys after key-marker, plus, when upload-id-marker is given, the
  // key-marker key's uploads whose ID sorts after it. A comparison, not a lookup: the marker upload
  // may have been completed or aborted since the last page, and the rest of its key must still come.
  const after = (u: { key: string; uploadId: string }): boolean => {
    const cmp = compareUtf8(u.key, keyMarker);
    return cmp > 0 || (cmp === 0 && uploadIdMarker !== '' && compareUtf8(u.uploadId, uploadIdMarker) > 0);
  };
  let startAt = keyMarker === '' ? 0 : all.findIndex(after);
  if (startAt < 0) startAt = all.length;
  const skipUnder = isRolledUpPrefix(keyMarker, options) ? keyMarker : undefined;
  const page = pageOf(all.slice(startAt), (u) => u.key, options, skipUnder);
  const last = page.items.at(-1);
  const lastIsPrefix = page.nextMarker !== undefined && page.nextMarker !== last?.key;
  const encode = encoderFor(ctx);
  sendXml(ctx, 200, 'ListMultipartUploadsResult', [
    ['Bucket', bucket.name],
    ['KeyMarker', encode(keyMarker)],
    ['UploadIdMarker', uploadIdMarker],
    ['NextKeyMarker', page.truncated ? encode(page.nextMarker ?? '') : ''],
    ['NextUploadIdMarker', page.truncated && !lastIsPrefix ? (last?.uploadId ?? '') : ''],
    ['Delimiter', encode(options.delimiter)],
    ['Prefix', encode(options.prefix)],
    ['EncodingType', ctx.parsed.query['encoding-type']],
    ['MaxUploads', options.maxKeys],
    ['IsTruncated', page.truncated],
    ...page.items.map(
      (u) =>
        [
          'Upload',
          [
            ['Key', encode(u.key)],
            ['UploadId', u.uploadId],
            ['StorageClass', u.storageClass ?? 'Standard'],
            ['Initiated', ossTime(u.initiated)],
          ],
        ] as const,
    ),
    ...page.commonPrefixes.map((p) => ['CommonPrefixes', [['Prefix', encode(p)]]] as const),
  ]);
}

/** One entry of ListObjectVersions: a version or delete marker of a key, newest of the key first. */
interface VersionEntry {
  key: string;
  meta: ObjectMeta;
  latest: boolean;
}

/** Every version after (key-marker, version-id-marker), in key order, each key's newest first. */
function* versionEntries(bucket: Bucket, options: ListingOptions, keyMarker: string, versionIdMarker: string): Generator<VersionEntry> {
  const fromMarker = keyMarker !== '' && compareUtf8(keyMarker, options.prefix) >= 0;
  const start = fromMarker ? keyMarker : options.prefix;
  // With a version-id marker the marker key's older versions still come; without, the key is done.
  const inclusive = !fromMarker || versionIdMarker !== '';
  for (const key of bucket.objects.versionKeysFrom(start, inclusive)) {
    const versions = bucket.objects.versionsOf(key);
    // The marker key: after its marker version (all of it when that version is gone since).
    const markerAt = fromMarker && key === keyMarker ? versions.findIndex((v) => versionIdOf(v) === versionIdMarker) : -2;
    const from = markerAt === -2 ? 0 : markerAt === -1 ? versions.length : markerAt + 1;
    for (let i = from; i < versions.length; i++) {
      yield { key, meta: versions[i]!, latest: i === 0 };
    }
  }
}

/** ListObjectVersions: `GET /?versions` with prefix, delimiter, key-marker, version-id-marker, max-keys. */
export async function listObjectVersions(ctx: RequestContext, bucket: Bucket): Promise<void> {
  const options = listingOptions(ctx, 100, 'max-keys');
  const keyMarker = ctx.parsed.query['key-marker'] ?? '';
  const versionIdMarker = ctx.parsed.query['version-id-marker'] ?? '';
  const skipUnder = isRolledUpPrefix(keyMarker, options) ? keyMarker : undefined;
  const page = pageOf(versionEntries(bucket, options, keyMarker, versionIdMarker), (e) => e.key, options, skipUnder);
  const last = page.items.at(-1);
  const lastIsPrefix = page.nextMarker !== undefined && page.nextMarker !== last?.key;
  const encode = encoderFor(ctx);
  const entry = ({ key, meta, latest }: VersionEntry) => {
    const common = [
      ['Key', encode(key)],
      ['VersionId', versionIdOf(meta)],
      ['IsLatest', latest],
      ['LastModified', ossTime(meta.lastModified)],
    ] as const;
    if (meta.deleteMarker) return ['DeleteMarker', [...common, ['Owner', OWNER]]] as const;
    return [
      'Version',
      [
        ...common,
        ['ETag', `"${meta.etag}"`],
        ['Type', meta.objectType],
        ['Size', meta.size],
        ['StorageClass', meta.storageClass ?? 'Standard'],
        ['Owner', OWNER],
      ],
    ] as const;
  };
  sendXml(ctx, 200, 'ListVersionsResult', [
    ['Name', bucket.name],
    ['Prefix', encode(options.prefix)],
    ['KeyMarker', encode(keyMarker)],
    ['VersionIdMarker', versionIdMarker],
    ['MaxKeys', options.maxKeys],
    ['Delimiter', encode(options.delimiter)],
    ['EncodingType', ctx.parsed.query['encoding-type']],
    ['IsTruncated', page.truncated],
    ['NextKeyMarker', page.truncated ? encode(page.nextMarker ?? '') : undefined],
    ['NextVersionIdMarker', page.truncated && !lastIsPrefix && last ? versionIdOf(last.meta) : undefined],
    ...page.items.map(entry),
    ...page.commonPrefixes.map((p) => ['CommonPrefixes', [['Prefix', encode(p)]]] as const),
  ]);
}
