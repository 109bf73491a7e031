import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ParsedRequest } from './parsed-request.js';

/** One request in flight: what it addresses, and what the log and faults need to know about it. */
export class RequestContext {
  readonly requestId = randomBytes(12).toString('hex').toUpperCase();
  readonly startedAt = Date.now();
  /** Request body bytes read so far, by whichever reader consumed the body. */
  bytesReceived = 0;
  /** Set by a throttle fault or x-oss-traffic-limit: body reads are paced to this rate. */
  throttleBytesPerSecond: number | undefined;
  /** Set by a corrupt fault: the body byte at this offset arrives inverted. */
  corruptAtByte: number | undefined;
  /** Set by a corruptResponse fault: the response body byte at this offset leaves inverted. */
  corruptResponseAtByte: number | undefined;
  /** The OSS error code answered, for the request log. */
  errorCode: string | undefined;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly parsed: ParsedRequest,
    /** How long a body may go without a byte before OSS's RequestTimeout; 0: never. */
    readonly idleTimeoutMs = 0,
  ) {}

  header(name: string): string | undefined {
    const value = this.req.headers[name];
    return Array.isArray(value) ? value.join(',') : value;
  }
}
