/**
 * The emulator's HTTP server: one handler that parses, applies injected faults, authenticates and
 * dispatches each request, and logs what happened. Paths under `/-/` go to the admin API (admin-endpoint.ts).
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ADMIN_PREFIX, AdminEndpoint } from './admin-endpoint.js';
import type { Authenticator } from './authenticator.js';
import { drainBody } from './body-reader.js';
import { answerClientError } from './client-error.js';
import type { Bucket } from './bucket.js';
import { applyFaults } from './fault-actions.js';
import type { FaultInjector } from './fault-injector.js';
import { OPERATION_HANDLERS } from './operation-handlers.js';
import { OssError, ossErrors } from './oss-error.js';
import { parseRequest } from './parsed-request.js';
import type { ParsedRequest } from './parsed-request.js';
import { RequestContext } from './request-context.js';
import type { RequestLog } from './request-log.js';
import { sendError } from './responses.js';
import type { RequestLogEntry } from './types.js';

export interface ServerParts {
  buckets: ReadonlyMap<string, Bucket>;
  authenticator: Authenticator;
  faults: FaultInjector;
  requestLog: RequestLog;
  tempDir: string;
  /** What admin calls must send as `Authorization: Bearer <token>`. */
  adminToken: string;
  /** A request body that goes this long without a byte is answered 400 RequestTimeout (0: never). */
  idleTimeoutMs: number;
  /** Connections beyond this many are refused (closed at once) until others end. */
  maxConnections: number;
}

function logEntry(ctx: RequestContext, answered: boolean): RequestLogEntry {
  const { parsed, res } = ctx;
  const entry: RequestLogEntry = {
    time: ctx.startedAt,
    method: parsed.method,
    path: parsed.rawPath,
    query: parsed.query,
    bytesReceived: ctx.bytesReceived,
    durationMs: Date.now() - ctx.startedAt,
    // A request we dropped (or that the client dropped) never got an answer.
    status: answered ? res.statusCode : 0,
  };
  if (parsed.bucket !== undefined) entry.bucket = parsed.bucket;
  if (parsed.key !== undefined) entry.key = parsed.key;
  if (parsed.operation !== undefined) entry.operation = parsed.operation;
  if (parsed.partNumber !== undefined) entry.partNumber = parsed.partNumber;
  if (parsed.uploadId !== undefined) entry.uploadId = parsed.uploadId;
  if (ctx.errorCode !== undefined) entry.code = ctx.errorCode;
  return entry;
}

export class EmulatorServer {
  readonly http: Server;
  private readonly admin: AdminEndpoint;

  constructor(private readonly parts: ServerParts) {
    this.admin = new AdminEndpoint(parts.faults, parts.requestLog, parts.adminToken, parts.authenticator, parts.buckets);
    // requestTimeout 0: a 5 GB part on a slow link must not be cut off. Idle keep-alive sockets
    // must outlive ali-oss's agent (agentkeepalive 3.x keeps free sockets 15 s): a server that
    // closes first makes the client's next request on that socket fail with ECONNRESET.
    this.http = createServer({ requestTimeout: 0 }, (req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        console.error('oss-sync emulator: could not answer a request:', err);
        res.destroy();
      });
    });
    this.http.keepAliveTimeout = 60_000;
    this.http.headersTimeout = 65_000;
    // Each connection costs a socket and maybe a temp file: a runaway or hostile client must not
    // exhaust the process's file descriptors for everyone else.
    this.http.maxConnections = parts.maxConnections;
    this.http.on('clientError', answerClientError);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let parsed: ParsedRequest;
    try {
      parsed = parseRequest(req);
    } catch (err) {
      const fallback: ParsedRequest = { method: req.method ?? 'GET', rawPath: req.url ?? '/', query: {}, pathStyle: true };
      return this.answer(new RequestContext(req, res, fallback), err);
    }
    if (parsed.pathStyle && parsed.rawPath.startsWith(ADMIN_PREFIX)) {
      return this.admin.handle(req, res, parsed.rawPath).catch((err: unknown) => {
        console.error('oss-sync emulator: admin request failed:', err);
        res.destroy();
      });
    }
    const ctx = new RequestContext(req, res, parsed, this.parts.idleTimeoutMs);
    // Logged when the answer's last byte is queued (res.end), before the client can have it: a
    // test reading the log right after its call returns must see that call. A connection that
    // ends without an answer is logged on close, with status 0.
    let logged = false;
    const record = (answered: boolean): void => {
      if (!logged) this.parts.requestLog.record(logEntry(ctx, answered));
      logged = true;
    };
    const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
    res.end = ((...args: unknown[]) => {
      record(true);
      return end(...args);
    }) as typeof res.end;
    res.once('close', () => record(false));
    try {
      await this.process(ctx);
    } catch (err) {
      await this.answer(ctx, err);
    }
  }

  private async process(ctx: RequestContext): Promise<void> {
    const { parsed } = ctx;
    if (parsed.bucket === undefined) throw ossErrors.notImplemented('ListBuckets and service-level requests');
    const bucket = this.parts.buckets.get(parsed.bucket);
    if (!bucket) throw ossErrors.noSuchBucket(parsed.bucket);
    this.parts.authenticator.verify(parsed, ctx.req.headers);
    // Faults only after authentication: an anonymous request must not be able to fire, count
    // against or spend a rule a test set up.
    const actions = this.parts.faults.actionsFor(parsed);
    if (actions.length > 0 && (await applyFaults(ctx, actions, bucket))) return;
    if (parsed.unimplemented !== undefined) throw ossErrors.notImplemented(`${parsed.method} ?${parsed.unimplemented}`);
    if (parsed.operation === undefined) throw ossErrors.notImplemented(`${parsed.method} with these parameters`);
    await OPERATION_HANDLERS[parsed.operation](ctx, bucket, this.parts.tempDir);
  }

  /** Answers a failed request: OSS errors as error XML (after draining the body), anything else as 500. */
  private async answer(ctx: RequestContext, err: unknown): Promise<void> {
    if (ctx.res.headersSent || ctx.req.socket.destroyed) {
      ctx.res.destroy(); // mid-answer: all we can do is cut it short
      return;
    }
    let error: OssError;
    if (err instanceof OssError) {
      error = err;
    } else {
      console.error('oss-sync emulator: internal error:', err);
      error = new OssError(500, 'InternalError', 'We encountered an internal error. Please try again.');
    }
    ctx.errorCode = error.code;
    await drainBody(ctx);
    // A body that stalled while being drained has been answered RequestTimeout meanwhile.
    if (ctx.res.headersSent || ctx.req.socket.destroyed) return;
    sendError(ctx, error);
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(port, host, () => {
        this.http.off('error', reject);
        resolve((this.http.address() as AddressInfo).port);
      });
    });
  }

  /** Stops accepting, drops open connections (keep-alive and in flight), and waits for the close. */
  close(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.http.close((err) => (err ? reject(err) : resolve()));
      this.http.closeAllConnections();
    });
  }
}
