/** The emulator's HTTP server: parses, authenticates, applies faults to, dispatches and logs each request; `/-/` is the admin API. */
import { randomBytes } from 'node:crypto';
import { STATUS_CODES, createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { ADMIN_PREFIX, handleAdmin } from './admin-endpoint.js';
import type { Authenticator } from './authenticator.js';
import { drainBody } from './body-reader.js';
import { deleteBucketLifecycle, getBucketLifecycle, getBucketVersioning, putBucketLifecycle, putBucketVersioning } from './bucket.js';
import type { Bucket } from './bucket.js';
import { applyFaults } from './fault-actions.js';
import type { FaultInjector } from './fault-injector.js';
import type { EmulatorOptions } from './index.js';
import { restoreObject } from './archive-restore.js';
import { copyObject } from './copy-handlers.js';
import { listMultipartUploads, listObjectVersions, listObjects } from './list-handlers.js';
import { abortMultipartUpload, completeMultipartUpload, initiateMultipartUpload, listParts, uploadPart } from './multipart-handlers.js';
import { getObjectTagging } from './object-attributes.js';
import { deleteObject, getObject, headObject, putObject } from './object-handlers.js';
import { OssError, ossErrors } from './oss-error.js';
import { parseRequest } from './parsed-request.js';
import type { ParsedRequest } from './parsed-request.js';
import { RequestContext, errorXml } from './request-context.js';
import type { RequestLogEntry } from './types.js';

/** Enough for one bench run's requests; a longer log only grows the heap, and the GC's cost with it (bench/NOTES.md). */
const MAX_ENTRIES = 50_000;

/** What the emulator actually received and answered, for tests and benchmarks to count. */
export class RequestLog {
  /** A ring once full: `next` is where the oldest entry is, and the next one goes. */
  private ring: RequestLogEntry[] = [];
  private next = 0;

  constructor(private readonly capacity = MAX_ENTRIES) {}

  /** O(1): once `capacity` are kept, the oldest entry is overwritten. */
  record(entry: RequestLogEntry): void {
    if (this.ring.length < this.capacity) this.ring.push(entry);
    else {
      this.ring[this.next] = entry;
      this.next = (this.next + 1) % this.capacity;
    }
  }

  /** The entries kept, oldest first; a copy: later requests do not change it. */
  entries(): RequestLogEntry[] {
    return [...this.ring.slice(this.next), ...this.ring.slice(0, this.next)].map((e) => ({ ...e, query: { ...e.query } }));
  }

  clear(): void {
    this.ring = [];
    this.next = 0;
  }
}

export const OPERATION_HANDLERS = {
  PutObject: putObject,
  CopyObject: copyObject,
  GetObject: getObject,
  HeadObject: headObject,
  DeleteObject: deleteObject,
  ListObjects: listObjects,
  ListObjectsV2: listObjects,
  InitiateMultipartUpload: initiateMultipartUpload,
  UploadPart: uploadPart,
  UploadPartCopy: uploadPart,
  ListParts: listParts,
  CompleteMultipartUpload: completeMultipartUpload,
  AbortMultipartUpload: abortMultipartUpload,
  ListMultipartUploads: listMultipartUploads,
  RestoreObject: restoreObject,
  PutBucketLifecycle: putBucketLifecycle,
  GetBucketLifecycle: getBucketLifecycle,
  DeleteBucketLifecycle: deleteBucketLifecycle,
  GetObjectTagging: getObjectTagging,
  PutBucketVersioning: putBucketVersioning,
  GetBucketVersioning: getBucketVersioning,
  ListObjectVersions: listObjectVersions,
} satisfies Record<string, (ctx: RequestContext, bucket: Bucket, tempDir: string) => Promise<void>>;

/** The emulator's options (index.ts) with their defaults applied, and the parts built from them. */
export interface ServerParts extends Required<Pick<EmulatorOptions, 'adminToken' | 'idleTimeoutMs' | 'maxConnections'>> {
  buckets: ReadonlyMap<string, Bucket>;
  authenticator: Authenticator;
  faults: FaultInjector;
  requestLog: RequestLog;
  tempDir: string;
}

/** What OSS answers for a request Node's HTTP parser refused, by the parser's error code. */
function errorFor(code: string | undefined): OssError {
  switch (code) {
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
    case 'HPE_INVALID_TRANSFER_ENCODING':
      return ossErrors.invalidArgument('A request must not carry both Content-Length and Transfer-Encoding: chunked.');
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return ossErrors.requestTimeout();
    case 'HPE_HEADER_OVERFLOW':
      return ossErrors.invalidArgument('The request headers are too large.');
    default:
      return new OssError(400, 'InvalidRequest', 'The request could not be parsed as HTTP.');
  }
}

/**
 * Requests Node's parser refuses before any handler runs get OSS's error XML, not Node's bare 400 that
 * ali-oss cannot read; then the connection closes, as the parser's state is lost.
 */
function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || !socket.writable) return void socket.destroy();
  const error = errorFor(err.code);
  const requestId = randomBytes(12).toString('hex').toUpperCase();
  const body = Buffer.from(errorXml(error, requestId, ''));
  const head = [
    `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status]}`,
    'Server: AliyunOSS',
    `Date: ${new Date().toUTCString()}`,
    'Content-Type: application/xml',
    `Content-Length: ${body.length}`,
    `x-oss-request-id: ${requestId}`,
    'Connection: close',
  ].join('\r\n');
  socket.end(Buffer.concat([Buffer.from(`${head}\r\n\r\n`), body]));
}

function logEntry(ctx: RequestContext, answered: boolean): RequestLogEntry {
  const { method, rawPath: path, query, bucket, key, operation, partNumber, uploadId } = ctx.parsed;
  const entry = { time: ctx.startedAt, method, path, query, bucket, key, operation, partNumber, uploadId, code: ctx.errorCode };
  // A request we dropped (or that the client dropped) never got an answer.
  return { ...entry, bytesReceived: ctx.bytesReceived, durationMs: Date.now() - ctx.startedAt, status: answered ? ctx.res.statusCode : 0 };
}

/** Answers a failed request: OSS errors as error XML (after draining the body), anything else as 500. */
async function answer(ctx: RequestContext, err: unknown): Promise<void> {
  // Mid-answer: all we can do is cut it short.
  if (ctx.res.headersSent || ctx.req.socket.destroyed) return void ctx.res.destroy();
  if (!(err instanceof OssError)) console.error('oss-sync emulator: internal error:', err);
  const error = err instanceof OssError ? err : new OssError(500, 'InternalError', 'We encountered an internal error. Please try again.');
  ctx.errorCode = error.code;
  await drainBody(ctx);
  // A body that stalled while being drained has been answered RequestTimeout meanwhile.
  if (ctx.res.headersSent || ctx.req.socket.destroyed) return;
  ctx.sendError(error);
}

async function process(ctx: RequestContext, parts: ServerParts): Promise<void> {
  const { parsed } = ctx;
  if (parsed.bucket === undefined) throw ossErrors.notImplemented('ListBuckets and service-level requests');
  const bucket = parts.buckets.get(parsed.bucket);
  if (!bucket) throw ossErrors.noSuchBucket(parsed.bucket);
  parts.authenticator.verify(parsed, ctx.req.headers);
  // Faults only after authentication: an anonymous request must not be able to fire, count
  // against or spend a rule a test set up.
  const actions = parts.faults.actionsFor(parsed);
  if (actions.length > 0 && (await applyFaults(ctx, actions, bucket))) return;
  if (parsed.unimplemented !== undefined) throw ossErrors.notImplemented(`${parsed.method} ?${parsed.unimplemented}`);
  if (parsed.operation === undefined) throw ossErrors.notImplemented(`${parsed.method} with these parameters`);
  await OPERATION_HANDLERS[parsed.operation](ctx, bucket, parts.tempDir);
}

async function handle(req: IncomingMessage, res: ServerResponse, parts: ServerParts): Promise<void> {
  let parsed: ParsedRequest;
  try {
    parsed = parseRequest(req);
  } catch (err) {
    const fallback: ParsedRequest = { method: req.method ?? 'GET', rawPath: req.url ?? '/', query: {}, pathStyle: true };
    return answer(new RequestContext(req, res, fallback), err);
  }
  if (parsed.pathStyle && parsed.rawPath.startsWith(ADMIN_PREFIX)) return handleAdmin(req, res, parsed.rawPath, parts);
  const ctx = new RequestContext(req, res, parsed, parts.idleTimeoutMs);
  // Logged when the answer's last byte is queued (res.end), before the client can have it: a
  // test reading the log right after its call returns must see that call. A connection that
  // ends without an answer is logged on close, with status 0.
  let logged = false;
  const record = (answered: boolean): void => {
    if (!logged) parts.requestLog.record(logEntry(ctx, answered));
    logged = true;
  };
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
  res.end = ((...args: unknown[]) => {
    record(true);
    return end(...args);
  }) as typeof res.end;
  res.once('close', () => record(false));
  try {
    await process(ctx, parts);
  } catch (err) {
    await answer(ctx, err);
  }
}

/** The HTTP server, not yet listening. */
export function createEmulatorServer(parts: ServerParts): Server {
  // requestTimeout 0: a 5 GB part on a slow link must not be cut off. Idle keep-alive sockets
  // must outlive ali-oss's agent (agentkeepalive 3.x keeps free sockets 15 s): a server that
  // closes first makes the client's next request on that socket fail with ECONNRESET.
  const server = createServer({ requestTimeout: 0, keepAliveTimeout: 60_000, headersTimeout: 65_000 }, (req, res) => {
    handle(req, res, parts).catch((err: unknown) => {
      console.error('oss-sync emulator: could not answer a request:', err);
      res.destroy();
    });
  });
  // Each connection costs a socket and maybe a temp file: a runaway or hostile client must not
  // exhaust the process's file descriptors for everyone else.
  server.maxConnections = parts.maxConnections;
  server.on('clientError', answerClientError);
  return server;
}
