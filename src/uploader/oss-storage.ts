import type { Readable } from 'node:stream';
import { clientAgents, headerValue, newAliOssClient, sendSignedRequest } from './ali-oss-client.js';
import type { AliOssClient, AliOssResponse, OssConnectionOptions, RawPart } from './ali-oss-client.js';
import { toStorageError } from './ali-oss-error.js';
import { ListingParseError, parseListObjectsV2 } from './list-objects-xml.js';
import { staticCredentials, TOKEN_REFUSED } from './credentials-provider.js';
import type { CredentialsProvider, OssCredentials } from './credentials-provider.js';
import { StorageError } from './errors.js';
import type {
  Body,
  ListedVersion,
  GetOptions,
  ListedPart,
  ListedUpload,
  NewObjectOptions,
  ObjectDownload,
  ObjectRef,
  ObjectStorage,
  RequestOptions,
  StoredChecksums,
} from './object-storage.js';

/** In-memory bodies up to this size go in one call that no abort can cut short; bigger ones as a stream that can be. */
const ABORT_UNCHECKED_PUT_BYTES = 1024 * 1024;

const CRC_HEADER = 'x-oss-hash-crc64ecma';
/** Secrets and tokens of the last few credential sets, kept out of error details. */
const MAX_REMEMBERED_SECRETS = 16;
/** An error's XML is a few hundred bytes: more is no OSS error, and is not read. */
const MAX_ERROR_BODY = 64 * 1024;

/**
 * Ends the answer's stream when `signal` fires (no listener without one: a small file's restore pays
 * for each). Invariant: no body, an object's or an error page's, holds its caller past an abort: no
 * timeout covers a body once its headers are in.
 */
function destroyOnAbort(stream: Readable, signal: AbortSignal | undefined): void {
  if (!signal) return;
  const onAbort = (): void => {
    stream.destroy(new Error('download aborted', { cause: signal.reason }));
  };
  // Aborted while the answer's headers were awaited: the listener below would never fire.
  if (signal.aborted) onAbort();
  signal.addEventListener('abort', onAbort, { once: true });
  stream.once('close', () => signal.removeEventListener('abort', onAbort));
}

/** ali-oss's own default request timeout: how long a body may go without a byte when no timeout is given or configured (oss.timeout). */
const DEFAULT_BODY_IDLE_MS = 60_000;

/**
 * Fails the answer's body when no byte of it arrives for `idleMs` while its reader waits for more: the
 * request's timeout ends with the headers, and a connection stalled after them (a NAT that forgot it,
 * a hung server) would hold a restore or verify --deep for ever. Invariant: a reader that is behind
 * (the body's buffer full: a slow disk) is never failed for it, nor just after it catches up: a poll
 * every quarter of `idleMs` fails the body on the fifth quiet poll in a row, after `idleMs` to 1.5
 * `idleMs` without a byte. A body received whole is never failed. The error is no StorageError: the
 * caller retries the body as broken on the way.
 */
function failWhenStalled(stream: Readable, idleMs: number, what: string): void {
  const answer = stream as Readable & { socket?: { bytesRead: number } | null; complete?: boolean };
  if (answer.complete) return; // a small body often comes with its headers: nothing to watch
  let seen = answer.socket?.bytesRead;
  let quiet = 0;
  const timer = setInterval(() => {
    const read = answer.socket?.bytesRead;
    if (answer.complete || read !== seen || stream.readableLength >= stream.readableHighWaterMark) {
      seen = read;
      quiet = 0;
      return;
    }
    if (++quiet < 5) return;
    stream.destroy(
      new Error(`no byte of ${what} for ${idleMs < 1000 ? `${idleMs} ms` : `${Math.round(idleMs / 1000)} s`}: the connection stalled`),
    );
  }, idleMs / 4).unref();
  stream.once('close', () => clearInterval(timer));
}

/**
 * An error answer's body, its first MAX_ERROR_BODY bytes. Invariant: the read ends there (the
 * connection is dropped): a proxy's error page that never ends must not hold the GET for ever.
 */
async function readErrorBody(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= MAX_ERROR_BODY) break; // leaving the loop destroys the stream
  }
  return Buffer.concat(chunks).subarray(0, MAX_ERROR_BODY);
}

/** ObjectStorage over ali-oss's low-level calls. No retries here: see withRetries(). */
class OssStorage implements ObjectStorage {
  private readonly clients = new Map<string, { client: AliOssClient; signsWith: OssCredentials }>();
  /** The last MAX_REMEMBERED_SECRETS secrets and tokens used here, kept out of error details. */
  private readonly secrets = new Set<string>();
  private readonly credentials: CredentialsProvider;
  /** server time - local time, once a RequestTimeTooSkewed made us look. */
  private clockSkewMs: number | undefined;
  /** Keep-alive sockets for every bucket's client, sized to the requests in flight. */
  private readonly agents: ReturnType<typeof clientAgents>;

  /** `credentials` (a renewing provider) wins over the connection's static keys. */
  constructor(
    private readonly connection: OssConnectionOptions,
    credentials?: CredentialsProvider,
  ) {
    this.agents = clientAgents(connection.maxSockets);
    const { accessKeyId, accessKeySecret, stsToken } = connection;
    this.credentials = credentials ?? staticCredentials({ accessKeyId, accessKeySecret, securityToken: stsToken });
  }

  put: ObjectStorage['put'] = async (ref, body, options = {}) => {
    const headers = { ...newObjectHeaders(options), ...trafficLimitHeader(options) };
    // Small enough that an abort need only be checked up front. ali-oss sends a buffer with its
    // Content-MD5: the server refuses damaged bytes itself.
    const whole = body.inMemory && body.inMemory.length <= ABORT_UNCHECKED_PUT_BYTES ? body.inMemory : undefined;
    if (whole) options.signal?.throwIfAborted();
    const result = await this.call('PutObject', ref, (client) =>
      whole
        ? client.put(ref.key, whole, { headers, ...sdkOptions(options) })
        : withBodyStream(body, options.signal, (stream) =>
            client.putStream(ref.key, stream, { contentLength: body.size, headers, ...sdkOptions(options) }),
          ),
    );
    return checksumsOf(result.res);
  };

  head: ObjectStorage['head'] = async (ref, options = {}) => {
    try {
      const result = await this.call('HeadObject', ref, (client) =>
        client.head(ref.key, { ...versionSubres(ref), ...sdkOptions(options) }),
      );
      const restore = headerValue(result.res, 'x-oss-restore');
      return {
        ...checksumsOf(result.res),
        size: Number(headerValue(result.res, 'content-length')),
        meta: result.meta ?? {},
        ...(restore !== undefined ? { restore: /ongoing-request="true"/.test(restore) ? ('ongoing' as const) : ('done' as const) } : {}),
      };
    } catch (err) {
      if (err instanceof StorageError && (err.code === 'NoSuchKey' || err.status === 404)) return undefined;
      throw err;
    }
  };

  initMultipart: ObjectStorage['initMultipart'] = async (ref, options = {}) => {
    const result = await this.call('InitiateMultipartUpload', ref, (client) =>
      client.initMultipartUpload(ref.key, { headers: newObjectHeaders(options), ...sdkOptions(options) }),
    );
    return result.uploadId;
  };

  uploadPart: ObjectStorage['uploadPart'] = async (ref, uploadId, partNumber, body, options = {}) => {
    // No Content-MD5: the part is checked by the CRC-64 the server answers (see sendVerified).
    const headers = trafficLimitHeader(options);
    const result = await this.call('UploadPart', ref, (client) =>
      withBodyStream(body, options.signal, (stream) =>
        client._uploadPart(ref.key, uploadId, partNumber, { size: body.size, stream }, { ...sdkOptions(options), headers }),
      ),
    );
    return checksumsOf(result.res);
  };

  listParts: ObjectStorage['listParts'] = async (ref, uploadId, options = {}) => {
    const parts: ListedPart[] = [];
    let marker: string | undefined;
    for (;;) {
      const query: Record<string, string | number> = { 'max-parts': 1000 };
      if (marker !== undefined) query['part-number-marker'] = marker;
      const page = await this.call('ListParts', ref, (client) => client.listParts(ref.key, uploadId, query, sdkOptions(options)));
      // One part comes back as an object, not an array (xml2js explicitArray: false).
      const raw: RawPart[] = page.parts === undefined ? [] : Array.isArray(page.parts) ? page.parts : [page.parts];
      for (const p of raw) parts.push({ partNumber: Number(p.PartNumber), size: Number(p.Size), etag: p.ETag });
      // IsTruncated is the raw XML string: 'false' is truthy.
      const truncated = page.isTruncated === true || page.isTruncated === 'true';
      if (!truncated || !page.nextPartNumberMarker || page.nextPartNumberMarker === marker) break;
      marker = page.nextPartNumberMarker;
    }
    return parts.sort((a, b) => a.partNumber - b.partNumber);
  };

  completeMultipart: ObjectStorage['completeMultipart'] = async (ref, uploadId, parts, options = {}) => {
    const sdkParts = parts.map((p) => ({ number: p.partNumber, etag: p.etag }));
    const result = await this.call('CompleteMultipartUpload', ref, (client) =>
      client.completeMultipartUpload(ref.key, uploadId, sdkParts, sdkOptions(options)),
    );
    return checksumsOf(result.res);
  };

  abortMultipart: ObjectStorage['abortMultipart'] = async (ref, uploadId, options = {}) => {
    try {
      await this.call('AbortMultipartUpload', ref, (client) => client.abortMultipartUpload(ref.key, uploadId, sdkOptions(options)));
    } catch (err) {
      if (err instanceof StorageError && err.code === 'NoSuchUpload') return;
      throw err;
    }
  };

  listMultipartUploads: ObjectStorage['listMultipartUploads'] = async (bucket, prefix = '', options = {}) => {
    const uploads: ListedUpload[] = [];
    const ref = { bucket, key: prefix };
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    for (;;) {
      const query: Record<string, string | number> = { 'max-uploads': 1000 };
      if (prefix) query.prefix = prefix;
      if (keyMarker !== undefined) query['key-marker'] = keyMarker;
      if (uploadIdMarker !== undefined) query['upload-id-marker'] = uploadIdMarker;
      const page = await this.call('ListMultipartUploads', ref, (client) => client.listUploads(query, sdkOptions(options)));
      for (const u of page.uploads) uploads.push({ key: u.name, uploadId: u.uploadId, initiated: u.initiated });
      if (!page.isTruncated || (page.nextKeyMarker === keyMarker && page.nextUploadIdMarker === uploadIdMarker)) break;
      keyMarker = page.nextKeyMarker;
      uploadIdMarker = page.nextUploadIdMarker;
    }
    return uploads;
  };

  restoreObject: ObjectStorage['restoreObject'] = async (ref, options) => {
    try {
      // ali-oss takes only a 202 for success: a 200 (restored already, expiry extended) arrives as an error.
      await this.call('RestoreObject', ref, (client) =>
        client.restore(ref.key, { type: options.storageClass, Days: options.days, ...sdkOptions(options) }),
      );
      return 'started';
    } catch (err) {
      if (err instanceof StorageError && err.code === 'RestoreAlreadyInProgress') return 'ongoing';
      if (err instanceof StorageError && err.status === 200) return 'done';
      throw err;
    }
  };

  deleteObject: ObjectStorage['deleteObject'] = async (ref, options = {}) => {
    const { res } = await this.call('DeleteObject', ref, (client) => client.delete(ref.key, sdkOptions(options)));
    const versionId = headerValue(res, 'x-oss-version-id');
    return { deleteMarker: headerValue(res, 'x-oss-delete-marker') === 'true', ...(versionId !== undefined ? { versionId } : {}) };
  };

  copyObject: ObjectStorage['copyObject'] = async (source, target, options = {}) => {
    if (source.bucket !== target.bucket) throw new Error(`internal: copy from oss://${source.bucket} to another bucket`);
    // ali-oss turns every header given to copy() into x-oss-copy-source-*: metadata goes as `meta`
    // (which makes the directive REPLACE), the storage class is left as the source's.
    const result = await this.call('CopyObject', target, (client) =>
      client.copy(target.key, source.key, source.bucket, { ...(options.meta ? { meta: options.meta } : {}), ...sdkOptions(options) }),
    );
    return checksumsOf(result.res);
  };

  uploadPartCopy: ObjectStorage['uploadPartCopy'] = async (ref, uploadId, partNumber, source, range, options = {}) => {
    const result = await this.call('UploadPartCopy', ref, (client) =>
      client.uploadPartCopy(
        ref.key,
        uploadId,
        partNumber,
        `${range.start}-${range.end}`,
        { sourceKey: source.key, sourceBucketName: source.bucket },
        sdkOptions(options),
      ),
    );
    return checksumsOf(result.res);
  };

  getLifecycleRules: ObjectStorage['getLifecycleRules'] = async (bucket, options = {}) => {
    let rules;
    try {
      ({ rules } = await this.call('GetBucketLifecycle', { bucket, key: '' }, (client) =>
        client.getBucketLifecycle(bucket, sdkOptions(options)),
      ));
    } catch (err) {
      if (err instanceof StorageError && err.code === 'NoSuchLifecycle') return [];
      throw err;
    }
    return (rules ?? []).map((r) => ({
      id: r.id ?? '',
      prefix: r.prefix ?? '',
      enabled: r.status === 'Enabled',
      ...(r.abortMultipartUpload?.days !== undefined ? { abortMultipartUploadDays: Number(r.abortMultipartUpload.days) } : {}),
    }));
  };

  putLifecycleRules: ObjectStorage['putLifecycleRules'] = async (bucket, rules, options = {}) => {
    const sdkRules = rules.map((r) => {
      if (r.abortMultipartUploadDays === undefined) throw new Error(`internal: lifecycle rule ${r.id} aborts nothing`);
      return {
        id: r.id,
        prefix: r.prefix,
        status: r.enabled ? ('Enabled' as const) : ('Disabled' as const),
        abortMultipartUpload: { days: r.abortMultipartUploadDays },
      };
    });
    await this.call('PutBucketLifecycle', { bucket, key: '' }, (client) =>
      client.putBucketLifecycle(bucket, sdkRules, sdkOptions(options)),
    );
  };

  async get(ref: ObjectRef, options: GetOptions = {}): Promise<ObjectDownload> {
    options.signal?.throwIfAborted();
    const headers: Record<string, string> = {};
    if (options.range) headers.Range = `bytes=${options.range.start}-${options.range.end}`;
    if (options.ifMatch) headers['If-Match'] = options.ifMatch;
    const subres = versionSubres(ref);
    const stream = await this.call('GetObject', ref, async (client) => {
      // As ali-oss's getStream sends it, but an error answer's XML is read: getStream drains it unread,
      // so a refused GET said only "UnknownError (HTTP 403)", and an expired token was not renewed.
      const params = client._objectRequestParams('GET', ref.key, { headers, ...subres, ...sdkOptions(options) });
      const answer = await sendSignedRequest(client, params, this.agents, options.signal);
      destroyOnAbort(answer, options.signal);
      const status = answer.statusCode ?? 0;
      if (status >= 300) throw await client.requestError({ status, headers: answer.headers, data: await readErrorBody(answer) });
      return answer;
    });
    const res = { status: stream.statusCode ?? 0, headers: stream.headers };
    // Content-Range "bytes A-B/TOTAL" carries the object's size on a 206; a 200 is the whole object.
    const contentRange = headerValue(res, 'content-range') ?? '';
    // Invariant: a ranged GET yields exactly the bytes asked for. A proxy that drops Range answers 200
    // with the whole object, whose first bytes would be written at another part's offset (only the
    // whole object's CRC-64 would catch it, after fetching it whole per stream and attempt).
    // (An empty range, an object found empty since it was listed, has no bytes to ask for: OSS answers it whole.)
    if (
      options.range &&
      options.range.end >= options.range.start &&
      (res.status !== 206 || !contentRange.startsWith(`bytes ${options.range.start}-${options.range.end}/`))
    ) {
      stream.destroy();
      const answer = `HTTP ${res.status}${contentRange ? ` for ${contentRange}` : ', the whole object'}`;
      const detail = `asked for bytes ${options.range.start}-${options.range.end}, got ${answer}: a proxy on the way that ignores Range?`;
      throw new StorageError('GetObject', ref.bucket, ref.key, 'RangeNotHonoured', res.status, undefined, detail);
    }
    const total = /\/(\d+)$/.exec(contentRange)?.[1];
    // A chunked answer (a proxy re-sending it) has no Content-Length: a range's length is in its
    // Content-Range; a whole object's is unknown, and a body cut short could not be told from a whole one.
    const declared = headerValue(res, 'content-length');
    const range = /^bytes (\d+)-(\d+)\//.exec(contentRange);
    const contentLength = declared !== undefined ? Number(declared) : range ? Number(range[2]) - Number(range[1]) + 1 : NaN;
    if (!Number.isSafeInteger(contentLength) || contentLength < 0) {
      stream.destroy();
      const detail =
        'answered without a usable Content-Length (chunked, by a proxy on the way?): a body cut short could not be told from a whole one';
      throw new StorageError('GetObject', ref.bucket, ref.key, 'NoContentLength', res.status, undefined, detail);
    }
    const idleMs = options.timeoutMs ?? this.connection.timeoutMs ?? DEFAULT_BODY_IDLE_MS;
    failWhenStalled(stream, idleMs, `oss://${ref.bucket}/${ref.key}'s body`);
    // One literal, no spread: per small file, the spread's copy was most of this method's CPU.
    return {
      etag: headerValue(res, 'etag') ?? '',
      crc64: headerValue(res, CRC_HEADER),
      size: total !== undefined ? Number(total) : contentLength,
      meta: userMetaOfHeaders(res),
      stream,
      contentLength,
    };
  }

  listObjectsPage: ObjectStorage['listObjectsPage'] = async (bucket, prefix, continuationToken, options = {}) => {
    // As ali-oss's listV2 sends it (the token is a signed subresource), its answer read by our parser.
    const query: Record<string, string | number> = { 'list-type': 2, 'max-keys': 1000 };
    if (prefix) query.prefix = prefix;
    const subres = continuationToken !== undefined ? { 'continuation-token': continuationToken } : undefined;
    // Read inside call(): an answer that cannot be read fails as a StorageError naming the bucket and
    // prefix, its details kept free of secrets, and is retried as damaged on the way.
    return this.call('ListObjectsV2', { bucket, key: prefix }, async (client) => {
      const answer = await client.request({
        ...client._objectRequestParams('GET', '', { ...sdkOptions(options), subres }),
        query,
        successStatuses: [200],
      });
      const page = parseListObjectsV2(answer.data.toString('utf8'));
      // Following it would loop for ever; stopping there would drop the rest of the listing.
      if (page.next !== undefined && page.next === continuationToken)
        throw new ListingParseError('NextContinuationToken is the token this page was asked with');
      return page;
    });
  };

  getVersioning: ObjectStorage['getVersioning'] = async (bucket, options = {}) => {
    const { versionStatus } = await this.call('GetBucketVersioning', { bucket, key: '' }, (client) =>
      client.getBucketVersioning(bucket, sdkOptions(options)),
    );
    return versionStatus === 'Enabled' || versionStatus === 'Suspended' ? versionStatus : undefined;
  };

  listObjectVersions: ObjectStorage['listObjectVersions'] = async (bucket, prefix = '', options = {}) => {
    const versions: ListedVersion[] = [];
    const ref = { bucket, key: prefix };
    let keyMarker: string | undefined;
    let versionIdMarker: string | undefined;
    for (;;) {
      const query: Record<string, string | number> = { maxKeys: 1000 };
      if (prefix) query.prefix = prefix;
      if (keyMarker !== undefined) query.keyMarker = keyMarker;
      if (versionIdMarker !== undefined) query.versionIdMarker = versionIdMarker;
      const page = await this.call('ListObjectVersions', ref, (client) => client.getBucketVersions(query, sdkOptions(options)));
      for (const { name: key, versionId, isLatest, lastModified, size, etag, storageClass } of page.objects ?? []) {
        versions.push({ key, versionId, isLatest, lastModified, deleteMarker: false, size: Number(size), etag, storageClass });
      }
      // ali-oss drops a marker's IsLatest: isLatest here is never true for one.
      for (const { name: key, versionId, lastModified } of page.deleteMarker ?? []) {
        versions.push({ key, versionId, isLatest: false, lastModified, deleteMarker: true, size: 0, etag: '', storageClass: undefined });
      }
      if (!page.isTruncated || (page.nextKeyMarker === keyMarker && page.nextVersionIdMarker === versionIdMarker)) break;
      keyMarker = page.nextKeyMarker ?? undefined;
      versionIdMarker = page.nextVersionIdMarker ?? undefined;
    }
    return versions;
  };

  /**
   * Run one SDK call, turning its failures into secret-free StorageErrors (body errors pass through).
   * OSS refusing the token (expired, invalid, not this key's) renews the credentials once and sends
   * this request again: a rotation never fails a file. The body is opened afresh by fn.
   */
  private async call<T>(operation: string, ref: ObjectRef, fn: (client: AliOssClient) => Promise<T>): Promise<T> {
    for (let renewed = false; ; renewed = true) {
      // Throws CredentialsUnavailableError (fatal: the folder rests) when none are valid.
      const credentials = await this.credentials.get();
      try {
        return await fn(this.client(ref.bucket, credentials));
      } catch (err) {
        if (err instanceof BodyStreamError) throw err.cause;
        const storageError = toStorageError(err, operation, ref, [...this.secrets]);
        if (storageError.code === 'RequestTimeTooSkewed') await this.correctClock();
        const tokenRefused = !renewed && TOKEN_REFUSED.has(storageError.code ?? '');
        if (tokenRefused && (await this.credentials.renew(credentials))) continue;
        throw storageError;
      }
    }
  }

  /**
   * The bucket's client, signing with `credentials` from now on. ali-oss reads its options when it
   * builds each request (synchronously), so a request already sent keeps the signature it had and
   * finishes; the three values are swapped together, with no await between.
   */
  private client(bucket: string, credentials: OssCredentials): AliOssClient {
    this.secrets.add(credentials.accessKeySecret);
    if (credentials.securityToken) this.secrets.add(credentials.securityToken);
    // Months of rotations must not grow this without end: the oldest (long expired) go first.
    for (const old of this.secrets) {
      if (this.secrets.size <= MAX_REMEMBERED_SECRETS) break;
      this.secrets.delete(old);
    }
    let entry = this.clients.get(bucket);
    if (!entry) {
      const client = newAliOssClient({ ...this.connection, ...credentials, stsToken: credentials.securityToken }, bucket, this.agents);
      if (this.clockSkewMs !== undefined) client.options.amendTimeSkewed = this.clockSkewMs;
      entry = { client, signsWith: credentials };
      this.clients.set(bucket, entry);
    } else if (entry.signsWith !== credentials) {
      const options = entry.client.options;
      options.accessKeyId = credentials.accessKeyId;
      options.accessKeySecret = credentials.accessKeySecret;
      if (credentials.securityToken) options.stsToken = credentials.securityToken;
      else delete options.stsToken;
      entry.signsWith = credentials;
    }
    return entry.client;
  }

  /** The server said our clock is off: sign later requests with the server's time (its Date header). */
  private async correctClock(): Promise<void> {
    try {
      const res = await fetch(this.connection.endpoint, { method: 'HEAD', signal: AbortSignal.timeout(10_000) });
      const serverDate = Date.parse(res.headers.get('date') ?? '');
      if (Number.isNaN(serverDate)) return;
      this.clockSkewMs = serverDate - Date.now();
      for (const { client } of this.clients.values()) client.options.amendTimeSkewed = this.clockSkewMs;
    } catch {
      // No clock check possible: the retry (if any) goes out with the local clock.
    }
  }
}

export function createOssStorage(connection: OssConnectionOptions, credentials?: CredentialsProvider): ObjectStorage {
  return new OssStorage(connection, credentials);
}

/** Marks a failure that came from our body stream (file read, change, abort) rather than from HTTP. */
class BodyStreamError extends Error {}

/**
 * Open the body, tie it to the signal, and report the body's own failure rather than the HTTP error
 * it caused (urllib renames it and drops its code).
 */
async function withBodyStream<T>(body: Body, signal: AbortSignal | undefined, send: (stream: Readable) => Promise<T>): Promise<T> {
  signal?.throwIfAborted();
  let stream: Readable;
  try {
    stream = body.open();
  } catch (err) {
    throw new BodyStreamError('body failed to open', { cause: err }); // the file's refusal, not an OSS error
  }
  let bodyError: unknown;
  stream.once('error', (err) => {
    bodyError ??= err;
  });
  const onAbort = (): void => {
    // A fresh plain Error: urllib appends to the message of the error it is handed, and the signal's
    // reason is a DOMException whose message is read-only, which would crash the process.
    stream.destroy(new Error('upload aborted', { cause: signal?.reason }));
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await send(stream);
  } catch (err) {
    if (bodyError !== undefined) throw new BodyStreamError('body failed', { cause: bodyError });
    throw err;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    if (!stream.destroyed) stream.destroy();
  }
}

/** ali-oss reads a version id from `subres` (GET, HEAD). */
function versionSubres(ref: ObjectRef): Record<string, unknown> {
  return ref.versionId === undefined ? {} : { subres: { versionId: ref.versionId } };
}

function sdkOptions(options: RequestOptions): Record<string, unknown> {
  return options.timeoutMs !== undefined ? { timeout: options.timeoutMs } : {};
}

function trafficLimitHeader(options: RequestOptions): Record<string, string> {
  return options.trafficLimit === undefined ? {} : { 'x-oss-traffic-limit': String(options.trafficLimit) };
}

function newObjectHeaders(options: NewObjectOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  if (options.storageClass) headers['x-oss-storage-class'] = options.storageClass;
  for (const [name, value] of Object.entries(options.meta ?? {})) headers[`x-oss-meta-${name}`] = value;
  if (options.encryption) {
    headers['x-oss-server-side-encryption'] = options.encryption.algorithm;
    if (options.encryption.kmsKeyId) headers['x-oss-server-side-encryption-key-id'] = options.encryption.kmsKeyId;
  }
  const tags = Object.entries(options.tags ?? {});
  if (tags.length > 0)
    headers['x-oss-tagging'] = tags.map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`).join('&');
  return headers;
}

/** x-oss-meta-* response headers, names without the prefix (as head() reports them). */
function userMetaOfHeaders(res: AliOssResponse): Record<string, string> {
  const meta: Record<string, string> = {};
  for (const name of Object.keys(res.headers)) {
    if (name.startsWith('x-oss-meta-')) meta[name.slice('x-oss-meta-'.length)] = headerValue(res, name) ?? '';
  }
  return meta;
}

function checksumsOf(res: AliOssResponse): StoredChecksums {
  return { etag: headerValue(res, 'etag') ?? '', crc64: headerValue(res, CRC_HEADER) };
}
