/**
 * The listener behind the status page, /metrics, the page's live feed and its actions.
 *
 *   GET  /             the page           GET /metrics     Prometheus text
 *   GET  /api/status   the page's JSON    GET /events      the same JSON, pushed (server-sent events)
 *   POST /api/retry {folder, relPath}     POST /api/pause {folder}     POST /api/resume {folder}
 *   POST /login        token form -> session cookie (token auth only)
 *
 * Invariant: served on loopback or a unix socket unless auth is configured (the config refuses
 * anything else); on loopback without auth the Host header must name loopback too, so a web page
 * elsewhere cannot read this one through DNS rebinding.
 */
import { randomBytes } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { HttpConfig } from '../config/index.js';
import { isLoopbackHost } from '../lib/loopback.js';
import type { Logger } from '../lib/logger.js';
import { HttpAuth, SESSION_COOKIE, sessionValue } from './http-auth.js';
import { loginPageHtml, statusPageHtml } from './status-page.js';

export interface ObserveServerOptions {
  http: HttpConfig;
  logger: Logger;
  metrics: Registry;
  /** The page's JSON, built once per sample. */
  pageJson: () => string;
  /** Emits 'sample' for each new sample (LiveState). */
  samples: Pick<EventEmitter, 'on' | 'off'>;
  /** pause() answers false for a folder not in the config. */
  actions: { retry(folder: string, relPath: string): number; pause(folder: string, paused: boolean): boolean };
}

const MAX_BODY = 16 * 1024;

export class ObserveServer {
  private readonly auth: HttpAuth;
  private readonly server: Server;
  /** The address the page is at, once listening (http://127.0.0.1:PORT/ or unix:/path). */
  url = '';

  private constructor(private readonly o: ObserveServerOptions) {
    this.auth = new HttpAuth(o.http);
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        o.logger.warn('status page request failed', { error: err as Error });
        if (!res.headersSent) send(res, 500, 'text/plain', 'internal error\n');
        else res.destroy();
      });
    });
    // Keep-alive sockets must not hold the daemon's exit.
    this.server.keepAliveTimeout = 5_000;
  }

  static async start(o: ObserveServerOptions): Promise<ObserveServer> {
    const s = new ObserveServer(o);
    const { listen } = o.http;
    if (listen.kind === 'unix') removeStaleSocket(listen.path);
    await new Promise<void>((resolve, reject) => {
      s.server.once('error', reject);
      if (listen.kind === 'unix') s.server.listen(listen.path, resolve);
      else s.server.listen(listen.port, listen.host, resolve);
    });
    if (listen.kind === 'unix') {
      chmodSync(listen.path, 0o660); // the socket's mode is its access control
      s.url = `unix:${listen.path}`;
    } else {
      const port = (s.server.address() as AddressInfo).port;
      s.url = `http://${listen.host.includes(':') ? `[${listen.host}]` : listen.host}:${port}/`;
    }
    return s;
  }

  async close(): Promise<void> {
    // Open event streams too: their sockets close, and each stream's 'close' unsubscribes it.
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private hostAllowed(req: IncomingMessage): boolean {
    const { listen } = this.o.http;
    if (this.auth.configured || listen.kind === 'unix') return true;
    const host = (req.headers.host ?? '').replace(/:\d+$/, '');
    return isLoopbackHost(host);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (!this.hostAllowed(req)) return send(res, 421, 'text/plain', 'unexpected Host header\n');
    if (req.method === 'POST' && path === '/login') return this.login(req, res);
    if (!this.auth.mayRead(req)) return this.challenge(req, res, path);
    if (req.method === 'GET' || req.method === 'HEAD') {
      if (path === '/') return this.htmlPage(res, 200, statusPageHtml);
      if (path === '/metrics') return send(res, 200, this.o.metrics.contentType, await this.o.metrics.metrics());
      if (path === '/api/status') return send(res, 200, 'application/json', this.o.pageJson());
      if (path === '/events') return this.stream(req, res);
      return send(res, 404, 'text/plain', 'not found\n');
    }
    if (req.method === 'POST' && path.startsWith('/api/')) return this.action(req, res, path);
    res.setHeader('allow', 'GET, HEAD, POST');
    return send(res, 405, 'text/plain', 'method not allowed\n');
  }

  private challenge(req: IncomingMessage, res: ServerResponse, path: string): void {
    if (this.auth.scheme === 'basic') {
      res.setHeader('www-authenticate', 'Basic realm="oss-sync", charset="UTF-8"');
      return send(res, 401, 'text/plain', 'authentication required\n');
    }
    // A browser asking for the page gets the token form; a scraper gets a plain 401.
    if (path === '/' && req.method === 'GET') return this.htmlPage(res, 401, (nonce) => loginPageHtml(nonce, false));
    res.setHeader('www-authenticate', 'Bearer realm="oss-sync"');
    return send(res, 401, 'text/plain', 'authentication required (Authorization: Bearer <http.token>)\n');
  }

  private async login(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = new URLSearchParams(await readBody(req));
    const token = form.get('token') ?? '';
    if (!this.auth.tokenMatches(token)) return this.htmlPage(res, 401, (nonce) => loginPageHtml(nonce, true));
    res.setHeader('set-cookie', `${SESSION_COOKIE}=${sessionValue(token)}; Path=/; HttpOnly; SameSite=Strict`);
    res.setHeader('location', '/');
    return send(res, 303, 'text/plain', 'signed in\n');
  }

  private htmlPage(res: ServerResponse, status: number, html: (nonce: string) => string): void {
    const nonce = randomBytes(16).toString('base64');
    res.setHeader(
      'content-security-policy',
      `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`,
    );
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('referrer-policy', 'no-referrer');
    send(res, status, 'text/html; charset=utf-8', html(nonce));
  }

  private stream(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    const push = (): void => {
      res.write(`data: ${this.o.pageJson()}\n\n`);
    };
    push();
    this.o.samples.on('sample', push);
    req.socket.setTimeout(0);
    res.on('close', () => this.o.samples.off('sample', push));
  }

  private async action(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    if (!this.auth.configured) return send(res, 403, 'text/plain', 'actions need http.token or http.basic_auth in the config\n');
    if (!this.auth.headerValid(req)) {
      return send(res, 401, 'text/plain', 'actions need the Authorization header (Bearer <http.token> or basic auth)\n');
    }
    // A JSON content type cannot be sent cross-site without a preflight this server never allows.
    if (!(req.headers['content-type'] ?? '').startsWith('application/json'))
      return send(res, 415, 'text/plain', 'expected application/json\n');
    let body: { folder?: unknown; relPath?: unknown };
    try {
      body = JSON.parse(await readBody(req)) as typeof body;
    } catch {
      return send(res, 400, 'text/plain', 'expected a JSON object\n');
    }
    const folder = typeof body.folder === 'string' ? body.folder : undefined;
    if (folder === undefined) return send(res, 400, 'text/plain', 'expected "folder"\n');
    if (path === '/api/retry') {
      if (typeof body.relPath !== 'string' || body.relPath === '') return send(res, 400, 'text/plain', 'expected "relPath"\n');
      const queued = this.o.actions.retry(folder, body.relPath);
      return send(res, 200, 'application/json', JSON.stringify({ queued }));
    }
    if (path === '/api/pause' || path === '/api/resume') {
      if (!this.o.actions.pause(folder, path === '/api/pause')) return send(res, 404, 'text/plain', 'no such folder in the config\n');
      return send(res, 200, 'application/json', JSON.stringify({ ok: true }));
    }
    return send(res, 404, 'text/plain', 'not found\n');
  }
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

async function readBody(req: IncomingMessage): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new Error('request body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A socket file left by a daemon that was killed; anything else at the path is not ours to remove. */
function removeStaleSocket(path: string): void {
  try {
    if (lstatSync(path).isSocket()) unlinkSync(path);
  } catch {
    // absent: nothing to remove
  }
}
