import type { OutgoingHttpHeaders } from 'node:http';
import type { OssError } from './oss-error.js';
import type { RequestContext } from './request-context.js';
import { xmlDocument } from './xml.js';
import type { XmlObject } from './xml.js';
import type { ObjectMeta } from './types.js';
import { attributeHeaders } from './object-attributes.js';

/** Headers OSS puts on every answer. */
function baseHeaders(ctx: RequestContext): OutgoingHttpHeaders {
  return { 'x-oss-request-id': ctx.requestId, server: 'AliyunOSS', date: new Date().toUTCString() };
}

export function sendEmpty(ctx: RequestContext, status: number, headers: OutgoingHttpHeaders = {}): void {
  ctx.res.writeHead(status, { ...baseHeaders(ctx), 'content-length': 0, ...headers });
  ctx.res.end();
}

/** An XML document as the answer's body. */
export function sendXmlText(ctx: RequestContext, status: number, xml: string, headers: OutgoingHttpHeaders = {}): void {
  const body = Buffer.from(xml);
  ctx.res.writeHead(status, { ...baseHeaders(ctx), 'content-type': 'application/xml', 'content-length': body.length, ...headers });
  ctx.res.end(body);
}

/** A 200 answer with the document `<root>children</root>`. */
export function sendXml(ctx: RequestContext, root: string, children: XmlObject, headers: OutgoingHttpHeaders = {}): void {
  sendXmlText(ctx, 200, xmlDocument(root, children), headers);
}

/** OSS's error document. */
export function errorXml(error: OssError, requestId: string, hostId: string): string {
  return xmlDocument('Error', { Code: error.code, Message: error.message, RequestId: requestId, HostId: hostId, ...error.details });
}

/** Head and the body-less answers carry the error XML base64'd in x-oss-err, as OSS does; ali-oss reads it. */
export function sendError(ctx: RequestContext, error: OssError): void {
  const xml = errorXml(error, ctx.requestId, (ctx.header('host') ?? '').replace(/:\d+$/, ''));
  const headers = { 'x-oss-ec': '0000-00000000', ...error.headers };
  if (ctx.parsed.method !== 'HEAD') return sendXmlText(ctx, error.status, xml, headers);
  sendEmpty(ctx, error.status, { 'content-type': 'application/xml', ...headers, 'x-oss-err': Buffer.from(xml).toString('base64') });
}

/** What GetObject and HeadObject say about an object. */
export function objectHeaders(meta: ObjectMeta): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {
    'content-type': meta.contentType,
    etag: `"${meta.etag}"`,
    'last-modified': new Date(meta.lastModified).toUTCString(),
    'x-oss-hash-crc64ecma': meta.crc64,
    'x-oss-object-type': meta.objectType,
    'x-oss-storage-class': meta.storageClass ?? 'Standard',
    'accept-ranges': 'bytes',
    ...attributeHeaders(meta),
  };
  if (meta.versionId !== undefined) headers['x-oss-version-id'] = meta.versionId;
  for (const [name, value] of Object.entries(meta.storedHeaders ?? {})) headers[name] = value;
  for (const [name, value] of Object.entries(meta.userMeta)) headers[name] = value;
  return headers;
}
