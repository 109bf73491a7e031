import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FaultInjector } from './fault-injector.js';
import { InvalidFaultRuleError } from './fault-injector.js';
import { faultRuleFromJson, faultRuleToJson } from './fault-rule-json.js';
import type { RequestLog } from './request-log.js';

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
    if (size > MAX_ADMIN_BODY) throw new InvalidFaultRuleError(`body over ${MAX_ADMIN_BODY} bytes`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new InvalidFaultRuleError('body is not valid JSON');
  }
}

/**
 * The unauthenticated admin API, for tests and benchmarks that drive the emulator from another
 * process (path style only, e.g. `curl http://127.0.0.1:PORT/-/requests`):
 *   POST   /-/faults    body: one FaultRule as JSON, or an array of them  -> 201 {"added": n}
 *   GET    /-/faults    -> the active rules
 *   DELETE /-/faults    -> 204, all rules removed
 *   GET    /-/requests  -> the request log, RequestLogEntry[] as JSON
 *   DELETE /-/requests  -> 204, log cleared
 */
export class AdminEndpoint {
  constructor(
    private readonly faults: FaultInjector,
    private readonly requestLog: RequestLog,
  ) {}

  async handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const route = `${req.method ?? 'GET'} ${path}`;
    try {
      switch (route) {
        case 'POST /-/faults': {
          const body = await readJsonBody(req);
          const rules = (Array.isArray(body) ? body : [body]).map(faultRuleFromJson);
          for (const rule of rules) this.faults.add(rule);
          return sendJson(res, 201, { added: rules.length });
        }
        case 'GET /-/faults':
          return sendJson(res, 200, this.faults.list().map(faultRuleToJson));
        case 'DELETE /-/faults':
          this.faults.clear();
          return void res.writeHead(204).end();
        case 'GET /-/requests':
          return sendJson(res, 200, this.requestLog.entries());
        case 'DELETE /-/requests':
          this.requestLog.clear();
          return void res.writeHead(204).end();
        default:
          return sendJson(res, 404, { error: `no admin route ${route}` });
      }
    } catch (err) {
      if (err instanceof InvalidFaultRuleError) return sendJson(res, 400, { error: err.message });
      throw err;
    }
  }
}
