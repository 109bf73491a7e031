import { randomBytes } from 'node:crypto';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { OssError } from './oss-error.js';
import type { ParsedRequest } from './parsed-request.js';
import { xmlDocument } from './xml.js';
import type { XmlObject } from './xml.js';

export function errorXml(error: OssError, requestId: string, hostId: string): string {
  return xmlDocument('Error', { Code: error.code, Message: error.message, RequestId: requestId, HostId: hostId, ...error.details });
}

/** One request in flight: what it addresses, what the log and faults need to know about it, and its answer. */
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

  /** Starts the answer with the headers OSS puts on every answer, then `headers`; an undefined one is left out. */
  writeHead(status: number, headers: OutgoingHttpHeaders): void {
    const all: OutgoingHttpHeaders = {
      'x-oss-request-id': this.requestId,
      server: 'AliyunOSS',
      date: new Date().toUTCString(),
      ...headers,
    };
    for (const name of Object.keys(all)) if (all[name] === undefined) delete all[name];
    this.res.writeHead(status, all);
  }

  sendEmpty(status: number, headers: OutgoingHttpHeaders = {}): void {
    this.writeHead(status, { 'content-length': 0, ...headers });
    this.res.end();
  }

  sendXmlText(status: number, xml: string, headers: OutgoingHttpHeaders = {}): void {
    const body = Buffer.from(xml);
    this.writeHead(status, { 'content-type': 'application/xml', 'content-length': body.length, ...headers });
    this.res.end(body);
  }

  /** A 200 answer with the document `<root>children</root>`. */
  sendXml(root: string, children: XmlObject, headers: OutgoingHttpHeaders = {}): void {
    this.sendXmlText(200, xmlDocument(root, children), headers);
  }

  /** Head and the body-less answers carry the error XML base64'd in x-oss-err, as OSS does; ali-oss reads it. */
  sendError(error: OssError): void {
    const xml = errorXml(error, this.requestId, (this.header('host') ?? '').replace(/:\d+$/, ''));
    const headers = { 'x-oss-ec': '0000-00000000', ...error.headers };
    if (this.parsed.method !== 'HEAD') return this.sendXmlText(error.status, xml, headers);
    this.sendEmpty(error.status, { 'content-type': 'application/xml', ...headers, 'x-oss-err': Buffer.from(xml).toString('base64') });
  }
}
