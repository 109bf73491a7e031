/**
 * Test stand-ins for where temporary credentials come from: an STS-like issuer that rotates on a
 * schedule and registers each set with the emulator, and HTTP servers on 127.0.0.1 that hand them
 * out as a credentials URI, the ECS metadata service, or STS AssumeRole. Never shipped.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { listenOnLoopback } from './loopback-server.js';
import type { Emulator } from '../../src/emulator/index.js';

export interface IssuedCredentials {
  AccessKeyId: string;
  AccessKeySecret: string;
  SecurityToken: string;
  /** ISO 8601, as Alibaba Cloud's credential endpoints write it. */
  Expiration: string;
}

/** Issues a fresh key, secret and token per call, valid lifetimeMs, and tells the emulator. */
export class StsIssuer {
  readonly issued: Array<IssuedCredentials & { issuedAt: number }> = [];
  /** While true, issue() throws: the provider is down. */
  down = false;

  constructor(
    private readonly emulator: Emulator,
    public lifetimeMs: number,
    /** How much earlier than it says the emulator ends a set (0: on time); for refusals in flight. */
    private readonly serverCutMs = 0,
  ) {}

  issue(): IssuedCredentials {
    if (this.down) throw new Error('issuer is down');
    const now = Date.now();
    const n = this.issued.length + 1;
    const set = {
      AccessKeyId: `STS.test-key-${n}-${randomBytes(4).toString('hex')}`,
      AccessKeySecret: `sts-secret-${randomBytes(12).toString('hex')}`,
      SecurityToken: `sts-token-${randomBytes(24).toString('base64url')}`,
      Expiration: new Date(now + this.lifetimeMs).toISOString(),
    };
    this.emulator.addCredential({
      accessKeyId: set.AccessKeyId,
      accessKeySecret: set.AccessKeySecret,
      securityToken: set.SecurityToken,
      expiration: now + this.lifetimeMs - this.serverCutMs,
    });
    this.issued.push({ ...set, issuedAt: now });
    return set;
  }

  /** Every secret and token handed out so far (for "never in a log line" checks). */
  secrets(): string[] {
    return this.issued.flatMap((c) => [c.AccessKeySecret, c.SecurityToken]);
  }
}

export interface TestHttpServer {
  url: string;
  /** "METHOD path" of every request, in order. */
  requests: string[];
  /** Headers of every request, in order. */
  headers: IncomingMessage['headers'][];
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, body: string) => { status: number; body: string } | Promise<{ status: number; body: string }>;

/** A JSON/text server on 127.0.0.1 and a free port. */
export async function startHttpServer(handler: Handler): Promise<TestHttpServer> {
  const requests: string[] = [];
  const headers: IncomingMessage['headers'][] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push(`${req.method} ${req.url}`);
      headers.push(req.headers);
      Promise.resolve()
        .then(() => handler(req, Buffer.concat(chunks).toString('utf8')))
        .then(
          ({ status, body }) => res.writeHead(status, { 'content-type': 'application/json' }).end(body),
          (err: unknown) => res.writeHead(500).end(String(err)),
        )
        // The test may have closed the server (and this socket) while a slow handler waited.
        .catch(() => undefined);
    });
  });
  const { url, close } = await listenOnLoopback(server);
  return {
    url,
    requests,
    headers,
    close,
  };
}

/** A credentials URI: GET answers the issuer's next set, 500 while it is down. */
export function startCredentialsUri(issuer: StsIssuer): Promise<TestHttpServer> {
  return startHttpServer(() => {
    if (issuer.down) return { status: 500, body: '{"error":"down"}' };
    return { status: 200, body: JSON.stringify({ Code: 'Success', ...issuer.issue() }) };
  });
}

/**
 * The ECS metadata service: PUT /latest/api/token (hardened mode), the role list and the role's
 * credentials. `hardened: 'required'` refuses reads without the token header; 'absent' answers the
 * PUT 404 (an old service: normal mode only).
 */
export function startMetadataService(
  issuer: StsIssuer,
  role: string,
  hardened: 'required' | 'absent' = 'required',
): Promise<TestHttpServer> {
  const token = `md-token-${randomBytes(8).toString('hex')}`;
  return startHttpServer((req) => {
    if (req.method === 'PUT' && req.url === '/latest/api/token') {
      if (hardened === 'absent') return { status: 404, body: '' };
      return req.headers['x-aliyun-ecs-metadata-token-ttl-seconds']
        ? { status: 200, body: token }
        : { status: 400, body: 'ttl header missing' };
    }
    if (hardened === 'required' && req.headers['x-aliyun-ecs-metadata-token'] !== token) return { status: 401, body: 'token required' };
    if (req.method !== 'GET') return { status: 405, body: '' };
    if (req.url === '/latest/meta-data/ram/security-credentials/') return { status: 200, body: role };
    if (req.url === `/latest/meta-data/ram/security-credentials/${role}`) {
      if (issuer.down) return { status: 500, body: 'down' };
      return { status: 200, body: JSON.stringify({ Code: 'Success', ...issuer.issue(), LastUpdated: new Date().toISOString() }) };
    }
    return { status: 404, body: 'not found' };
  });
}
