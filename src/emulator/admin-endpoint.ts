import type { IncomingMessage, ServerResponse } from 'node:http';
import { sameText } from './authenticator.js';
import { InvalidAdminInputError } from './fault-injector.js';
import { faultRuleFromJson, faultRuleToJson } from './fault-rule-json.js';
import type { ServerParts } from './emulator-server.js';
import type { Credential } from './types.js';

/** A temporary credential from an admin body: {accessKeyId, accessKeySecret, securityToken, expiration (ISO 8601 or epoch ms)}. */
export function credentialFromJson(value: unknown): Credential {
  const v = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  for (const field of ['accessKeyId', 'accessKeySecret', 'securityToken'] as const) {
    if (typeof v[field] !== 'string' || v[field] === '')
      throw new InvalidAdminInputError(`invalid credential: ${field} must be a non-empty string`);
  }
  const expiration = typeof v.expiration === 'number' ? v.expiration : typeof v.expiration === 'string' ? Date.parse(v.expiration) : NaN;
  if (!Number.isFinite(expiration))
    throw new InvalidAdminInputError('invalid credential: expiration must be an ISO 8601 time or epoch milliseconds');
  const { accessKeyId, accessKeySecret, securityToken } = v as Pick<Credential, 'accessKeyId' | 'accessKeySecret' | 'securityToken'>;
  return { accessKeyId, accessKeySecret, securityToken, expiration };
}

/** Admin paths start with `/-/`: no bucket name can be `-`, so they never shadow a path-style bucket. */
export const ADMIN_PREFIX = '/-/';
const MAX_ADMIN_BODY = 64 * 1024;

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = Buffer.from(JSON.stringify(value));
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': body.length });
  res.end(body);
}

async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_ADMIN_BODY) throw new InvalidAdminInputError(`body over ${MAX_ADMIN_BODY} bytes`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new InvalidAdminInputError('body is not valid JSON');
  }
}

/**
 * The admin API (routes: README.md), for tests and benchmarks that drive the emulator from another
 * process. Every call needs `Authorization: Bearer <admin token>` (401 otherwise), and POST needs
 * `Content-Type: application/json` (415 otherwise): a browser sends neither cross-origin without a
 * CORS preflight, which we never answer, so a web page the user visits cannot add a fault.
 */
export async function handleAdmin(req: IncomingMessage, res: ServerResponse, path: string, parts: ServerParts): Promise<void> {
  const route = `${req.method ?? 'GET'} ${path}`;
  const given = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1];
  if (given === undefined || !sameText(given, parts.adminToken)) {
    // The body is not read: close the connection rather than parse what an unknown caller sent.
    res.setHeader('connection', 'close');
    return sendJson(res, 401, {
      error: 'the admin API needs "Authorization: Bearer <admin token>" (printed by `oss-sync emulator` at start, or Emulator.adminToken)',
    });
  }
  // application/json, with or without parameters (`; charset=utf-8`).
  const json = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase() === 'application/json';
  if (req.method === 'POST' && !json) {
    res.setHeader('connection', 'close');
    return sendJson(res, 415, { error: 'admin POST bodies must be sent as Content-Type: application/json' });
  }
  try {
    switch (route) {
      case 'POST /-/faults': {
        const body = await readJsonBody(req);
        const rules = (Array.isArray(body) ? body : [body]).map(faultRuleFromJson);
        for (const rule of rules) parts.faults.add(rule);
        return sendJson(res, 201, { added: rules.length });
      }
      case 'POST /-/credentials': {
        parts.authenticator.add(credentialFromJson(await readJsonBody(req)));
        return sendJson(res, 201, { added: 1 });
      }
      case 'POST /-/worm': {
        const name = ((await readJsonBody(req)) as { bucket?: unknown } | null)?.bucket;
        const bucket = typeof name === 'string' ? parts.buckets.get(name) : undefined;
        if (!bucket) throw new InvalidAdminInputError('worm: "bucket" must name a bucket of this emulator');
        bucket.wormLocked = true;
        return void res.writeHead(204).end();
      }
      case 'GET /-/faults':
        return sendJson(res, 200, parts.faults.list().map(faultRuleToJson));
      case 'DELETE /-/faults':
        parts.faults.clear();
        return void res.writeHead(204).end();
      case 'GET /-/requests':
        return sendJson(res, 200, parts.requestLog.entries());
      case 'DELETE /-/requests':
        parts.requestLog.clear();
        return void res.writeHead(204).end();
      default:
        return sendJson(res, 404, { error: `no admin route ${route}` });
    }
  } catch (err) {
    if (err instanceof InvalidAdminInputError) return sendJson(res, 400, { error: err.message });
    throw err;
  }
}
