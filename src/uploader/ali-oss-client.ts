import OSS from 'ali-oss';
import { Agent as HttpAgent, type IncomingMessage, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { createRequire } from 'node:module';
import { stringify } from 'node:querystring';
import { urlToHttpOptions } from 'node:url';
import type { Readable } from 'node:stream';

/** Plain options for reaching OSS (or the emulator). */
export interface OssConnectionOptions {
  /** With scheme: https://oss-cn-hangzhou.aliyuncs.com, http://127.0.0.1:9000 */
  endpoint: string;
  region?: string;
  accessKeyId: string;
  accessKeySecret: string;
  stsToken?: string;
  authorizationV4?: boolean;
  /**
   * Requests this client has in flight at most (small files, plus files x parts): the sockets kept
   * open for them. Default DEFAULT_MAX_SOCKETS.
   */
  maxSockets?: number;
  /** oss.timeout: how long a GetObject's body may go without a byte when the call names no timeout (verify --deep). */
  timeoutMs?: number;
}

/** Room for the default requests in flight: 64 small files, or 4 files x 8 parts, and a few lists and heads. */
const DEFAULT_MAX_SOCKETS = 100;

/**
 * Keep-alive sockets sized to the requests in flight: a new connection costs a round trip or two (TCP,
 * TLS) before the request is sent, so every socket a request finished with is kept (maxFreeSockets as
 * high as maxSockets, or a burst of small files would close most), the most recently used first
 * ('lifo'), so when fewer run the rest time out. One pair per OssStorage, not ali-oss's process-wide ones.
 */
export function clientAgents(maxSockets = DEFAULT_MAX_SOCKETS): { agent: HttpAgent; httpsAgent: HttpsAgent } {
  const options = { keepAlive: true, maxSockets, maxFreeSockets: maxSockets, scheduling: 'lifo' as const };
  return { agent: new HttpAgent(options), httpsAgent: new HttpsAgent(options) };
}

/** The response fields of ali-oss we read. */
export interface AliOssResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
}

/** Options and query objects as ali-oss takes them. */
type Options = Record<string, unknown>;
type Query = Record<string, string | number>;
/** What a call that reads only the response resolves to. */
type Answer = Promise<{ res: AliOssResponse }>;

/**
 * The slice of the ali-oss client the storage uses, typed here because @types/ali-oss lacks some of it
 * (_uploadPart, the raw listParts/listUploads shapes, amendTimeSkewed).
 */
export interface AliOssClient {
  /** ali-oss signs each request from these at the moment it builds it (createRequest, synchronous). */
  options: { amendTimeSkewed?: number; accessKeyId: string; accessKeySecret: string; stsToken?: string } & SdkSettings;
  /** The SDK's own V1 signature (the Authorization header) of a request with these headers. */
  authorization(method: string, resource: string, subres: unknown, headers: Record<string, string>, encoding?: string): string;
  _getResource(params: { bucket?: string; object?: string }): string;
  _escape(name: string): string;
  userAgent: string;
  put(name: string, content: Buffer, options: Options): Answer;
  putStream(name: string, stream: Readable, options: Options): Answer;
  head(name: string, options: Options): Promise<{ status: number; meta: Record<string, string> | null; res: AliOssResponse }>;
  initMultipartUpload(name: string, options: Options): Promise<{ uploadId: string }>;
  restore(name: string, options: Options): Answer;
  _uploadPart(name: string, uploadId: string, partNo: number, data: { size: number; stream: Readable }, options: Options): Answer;
  listParts(
    name: string,
    uploadId: string,
    query: Query,
    options: Options,
  ): Promise<{
    parts: RawPart | RawPart[] | undefined;
    isTruncated: string | boolean | undefined;
    nextPartNumberMarker: string | undefined;
  }>;
  completeMultipartUpload(name: string, uploadId: string, parts: Array<{ number: number; etag: string }>, options: Options): Answer;
  abortMultipartUpload(name: string, uploadId: string, options: Options): Promise<unknown>;
  listUploads(
    query: Query,
    options: Options,
  ): Promise<{
    uploads: Array<{ name: string; uploadId: string; initiated: string }>;
    isTruncated: boolean;
    nextKeyMarker: string | undefined;
    nextUploadIdMarker: string | undefined;
  }>;
  delete(name: string, options: Options): Answer;
  copy(name: string, sourceName: string, sourceBucket: string, options: Options): Answer;
  uploadPartCopy(
    name: string,
    uploadId: string,
    partNo: number,
    range: string,
    sourceData: { sourceKey: string; sourceBucketName: string },
    options: Options,
  ): Answer;
  getBucketLifecycle(
    name: string,
    options: Options,
  ): Promise<{
    rules: Array<{ id?: string; prefix?: string; status?: string; abortMultipartUpload?: { days?: number | string } }> | undefined;
  }>;
  putBucketLifecycle(
    name: string,
    rules: Array<{ id: string; prefix: string; status: 'Enabled' | 'Disabled'; abortMultipartUpload: { days: number } }>,
    options: Options,
  ): Promise<unknown>;
  /** ali-oss's own request builder and sender (private API), for answers read without its XML parse. */
  _objectRequestParams(method: string, name: string, options: Options): Record<string, unknown>;
  request(params: Record<string, unknown> & { customResponse?: false }): Promise<{ data: Buffer; res: AliOssResponse }>;
  /** ali-oss's error for an answer (its XML body parsed): what its own calls throw. */
  requestError(answer: AliOssResponse & { data: Buffer }): Promise<Error>;
  getBucketVersioning(bucket: string, options: Options): Promise<{ versionStatus?: string }>;
  /** ListObjectVersions; query keys camelCase (keyMarker, versionIdMarker, maxKeys), as the SDK wants them. */
  getBucketVersions(
    query: Query,
    options: Options,
  ): Promise<{
    objects: Array<RawVersionEntry & { isLatest: boolean; size: number; etag: string; storageClass?: string }> | undefined;
    deleteMarker: RawVersionEntry[] | undefined;
    isTruncated: boolean;
    nextKeyMarker: string | null;
    nextVersionIdMarker: string | null;
  }>;
}

interface RawVersionEntry {
  name: string;
  versionId: string;
  lastModified: string;
}

export interface RawPart {
  PartNumber: string;
  ETag: string;
  Size: string;
}

/** One ali-oss client per bucket (the SDK binds a client to one bucket). */
export function newAliOssClient(connection: OssConnectionOptions, bucket: string, agents: ReturnType<typeof clientAgents>): AliOssClient {
  const options: Record<string, unknown> = {
    ...agents,
    endpoint: connection.endpoint,
    accessKeyId: connection.accessKeyId,
    accessKeySecret: connection.accessKeySecret,
    bucket,
    // The uploader owns retries: the SDK's retryMax retries only some network errors, with a fixed delay.
    retryMax: 0,
  };
  // Passing region: undefined explicitly crashes the SDK with IP endpoints; leave the key out instead.
  if (connection.region !== undefined) options.region = connection.region;
  if (connection.authorizationV4 !== undefined) options.authorizationV4 = connection.authorizationV4;
  if (connection.stsToken !== undefined) {
    options.stsToken = connection.stsToken;
    // Without a refresher the SDK console.warns on every construction; the token is the caller's to renew.
    options.refreshSTSTokenInterval = 0x7fffffff;
  }
  return new OSS(options as unknown as OSS.Options) as unknown as AliOssClient;
}

/** ali-oss's request builder (private API): the signed headers, URL and timeout its request() would send. */
const { createRequest } = createRequire(import.meta.url)('ali-oss/lib/common/utils/createRequest.js') as {
  createRequest(
    this: AliOssClient,
    params: Record<string, unknown>,
  ): { url: string; params: { headers: Record<string, string>; timeout: number } };
};

/**
 * Sends a request built as ali-oss builds it (signature, date, headers, URL: by bodilessV1Request, or
 * by the SDK's own createRequest) with Node's http, not urllib, whose wrapping is costly per small
 * object (bench/NOTES.md), and resolves at the answer's headers with its body unread. ali-oss's timeout covers the connection and the headers (a body has its own watchdog).
 * Errors keep what toStorageError reads: a socket's code (ECONNRESET...), or ResponseTimeoutError.
 */
export function sendSignedRequest(
  client: AliOssClient,
  params: Record<string, unknown>,
  agents: ReturnType<typeof clientAgents>,
  signal: AbortSignal | undefined,
): Promise<IncomingMessage> {
  const { target, headers, timeout } = bodilessV1Request(client, params) ?? sdkRequest(client, params);
  const https = target.protocol === 'https:';
  return new Promise((resolve, reject) => {
    const request = (https ? httpsRequest : httpRequest)({
      ...target,
      method: params.method as string,
      headers,
      agent: https ? agents.httpsAgent : agents.agent,
      signal,
    });
    const timer = setTimeout(() => {
      const err = Object.assign(new Error(`no answer within ${timeout} ms`), { name: 'ResponseTimeoutError' });
      request.destroy(err);
    }, timeout);
    request.once('response', (answer) => {
      clearTimeout(timer);
      resolve(answer);
    });
    request.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    request.end();
  });
}

/** A request as createRequest builds it: where it goes, as http.request would read its URL. */
function sdkRequest(client: AliOssClient, params: Record<string, unknown>): BuiltRequest {
  const { url, params: signed } = createRequest.call(client, params);
  return { target: urlToHttpOptions(new URL(url)), headers: signed.headers, timeout: signed.timeout };
}

/** A signed request, ready for http.request. */
interface BuiltRequest {
  target: { protocol?: string | null; hostname?: string | null; port?: string | number | null; path?: string | null };
  headers: Record<string, string>;
  timeout: number;
}

/** The client options bodilessV1Request reads (initOptions: the endpoint is url.parse's answer). */
interface SdkSettings {
  endpoint: { protocol: string; hostname: string; host: string; port: string | null };
  region: string;
  internal?: boolean;
  secure?: boolean;
  authorizationV4?: boolean;
  cname?: boolean;
  sldEnable?: boolean;
  isRequestPay?: boolean;
  headerEncoding?: string;
  timeout: number;
}

/** Where a client's requests go: the same host and port for each (see bodilessV1Request). */
interface RequestTarget {
  protocol: string;
  hostname: string;
  port: string | null;
}
/** Each client's target, and the Host header createRequest sets for an IP endpoint (the region's virtual host). */
const targets = new WeakMap<AliOssClient, { target: RequestTarget; hostHeader: string | undefined }>();

const aliUtils = createRequire(import.meta.url);
const { isIP } = aliUtils('ali-oss/lib/common/utils/isIP.js') as { isIP(host: string): boolean };
const { setRegion } = aliUtils('ali-oss/lib/common/utils/setRegion.js') as {
  setRegion(region: string, internal?: boolean, secure?: boolean): { host: string };
};

/**
 * What createRequest builds for a request without a body signed V1 (every GET of a restore), less
 * its costs that repeat for each request: the Date formatted through a mask parser, the region's
 * URL parsed again, and a URL formatted only for http.request to parse it back, which a restore of
 * small files pays per file (bench/NOTES.md). The same URL, headers and signature (the SDK's
 * own authorization()), without the Content-Type createRequest guesses from the key's extension: a
 * GET sends no body. test/uploader/signed-request.test.ts holds it equal to createRequest.
 * Undefined for anything else (V4, a body, a query, cname, sldEnable, requester pays, another header
 * encoding): createRequest builds those.
 */
export function bodilessV1Request(client: AliOssClient, params: Record<string, unknown>): BuiltRequest | undefined {
  const o = client.options;
  const { object, bucket, subres } = params;
  if (o.authorizationV4 || o.cname || o.sldEnable || o.isRequestPay || (o.headerEncoding ?? 'utf-8') !== 'utf-8') return undefined;
  if (params.content !== undefined || params.stream !== undefined || params.query !== undefined) return undefined;
  if (typeof object !== 'string' || object === '' || typeof bucket !== 'string') return undefined;
  if (subres !== undefined && (typeof subres !== 'object' || subres === null || Array.isArray(subres))) return undefined;
  const headers: Record<string, string> = { 'x-oss-date': httpDate(Date.now() + (o.amendTimeSkewed ?? 0)) };
  if (client.userAgent.includes('nodejs')) headers['User-Agent'] = client.userAgent;
  if (o.stsToken) headers['x-oss-security-token'] = o.stsToken;
  // As copy-to does in createRequest: the caller's headers never replace the SDK's own.
  for (const [name, value] of Object.entries((params.headers ?? {}) as Record<string, unknown>)) {
    if (headers[name] === undefined && value !== undefined) headers[name] = String(value);
  }
  headers.authorization = client.authorization(params.method as string, client._getResource(params), subres, headers, o.headerEncoding);
  let known = targets.get(client);
  if (!known) {
    const ep = o.endpoint;
    const ip = isIP(ep.hostname);
    known = {
      target: { protocol: ep.protocol, hostname: ip ? ep.hostname : `${bucket}.${ep.hostname}`, port: ep.port },
      hostHeader: ip ? `${bucket}.${setRegion(o.region, o.internal, o.secure).host}` : undefined,
    };
    targets.set(client, known);
  }
  const { target, hostHeader } = known;
  if (hostHeader !== undefined) headers.host = hostHeader;
  const query = subres ? stringify(subres as Record<string, string>) : '';
  const path = `/${client._escape(object).replace(/\+/g, '%2B')}${query ? `?${query}` : ''}`;
  const timeout = (params.timeout as number | undefined) || o.timeout;
  return { target: { ...target, path }, headers, timeout };
}

/** The Date header, as dateformat's "UTC:ddd, dd mmm yyyy HH:MM:ss 'GMT'" writes it, formatted once a second. */
function httpDate(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== lastDate.second) lastDate = { second, text: new Date(second * 1000).toUTCString() };
  return lastDate.text;
}
let lastDate = { second: NaN, text: '' };

export function headerValue(res: AliOssResponse, name: string): string | undefined {
  const value = res.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
