import { createHash, createHmac } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { ParsedRequest } from './parsed-request.js';
import { headerValue } from './signature-v1.js';

export interface V4Authorization {
  accessKeyId: string;
  date: string;
  region: string;
  product: string;
  additionalHeaders: string[];
  signature: string;
}

/** `OSS4-HMAC-SHA256 Credential=AK/DATE/REGION/oss/aliyun_v4_request,[AdditionalHeaders=a;b,]Signature=HEX`. */
export function parseV4Authorization(authorization: string): V4Authorization | undefined {
  if (!authorization.startsWith('OSS4-HMAC-SHA256 ')) return undefined;
  const fields = new Map<string, string>();
  for (const field of authorization.slice('OSS4-HMAC-SHA256 '.length).split(',')) {
    const eq = field.indexOf('=');
    if (eq > 0) fields.set(field.slice(0, eq).trim(), field.slice(eq + 1).trim());
  }
  const scope = (fields.get('Credential') ?? '').split('/');
  const signature = fields.get('Signature');
  if (scope.length !== 5 || scope[4] !== 'aliyun_v4_request' || !signature) return undefined;
  const additional = fields.get('AdditionalHeaders');
  return {
    accessKeyId: scope[0]!,
    date: scope[1]!,
    region: scope[2]!,
    product: scope[3]!,
    additionalHeaders: additional ? additional.split(';') : [],
    signature,
  };
}

/** encodeURIComponent plus !'()* — the SDK's encodeString. */
function encodeV4(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function canonicalRequest(request: ParsedRequest, headers: IncomingHttpHeaders, additional: string[]): string {
  const path = `/${request.bucket !== undefined ? `${request.bucket}/` : ''}${request.key ?? ''}`;
  // The SDK sorts query names with localeCompare; a parameter without a value is written bare.
  const query = Object.keys(request.query)
    .sort((a, b) => a.localeCompare(b))
    .map((name) => (request.query[name] ? `${encodeV4(name)}=${encodeV4(request.query[name]!)}` : encodeV4(name)))
    .join('&');
  const signedHeaders = new Set(additional);
  for (const name of Object.keys(headers)) {
    if (name === 'content-type' || name === 'content-md5' || name.startsWith('x-oss-')) signedHeaders.add(name);
  }
  const canonicalHeaders = [...signedHeaders]
    .sort()
    .map((name) => `${name}:${headerValue(headers, name).trim()}\n`)
    .join('');
  return [
    request.method,
    encodeV4(path).replace(/%2F/g, '/'),
    query,
    canonicalHeaders,
    additional.join(';'),
    headerValue(headers, 'x-oss-content-sha256').trim() || 'UNSIGNED-PAYLOAD',
  ].join('\n');
}

/**
 * The canonical request is hashed over the header bytes as sent: Node decodes each header byte as one
 * char (latin1), and everything else in it is ASCII (percent-encoded path and query), so hashing it as
 * latin1 hashes exactly the request's bytes. ali-oss, with `headerEncoding: 'latin1'`, hashes the same
 * UTF-8 bytes of a non-ASCII `x-oss-meta-*` value.
 */
export function v4StringToSign(request: ParsedRequest, headers: IncomingHttpHeaders, auth: V4Authorization): string {
  const timestamp = headerValue(headers, 'x-oss-date').trim();
  const hashed = createHash('sha256')
    .update(canonicalRequest(request, headers, auth.additionalHeaders), 'latin1')
    .digest('hex');
  return ['OSS4-HMAC-SHA256', timestamp, `${auth.date}/${auth.region}/${auth.product}/aliyun_v4_request`, hashed].join('\n');
}

export function v4Signature(secret: string, auth: V4Authorization, stringToSign: string): string {
  const hmac = (key: string | Buffer, data: string): Buffer => createHmac('sha256', key).update(data).digest();
  const signingKey = hmac(hmac(hmac(hmac(`aliyun_v4${secret}`, auth.date), auth.region), auth.product), 'aliyun_v4_request');
  return createHmac('sha256', signingKey).update(stringToSign).digest('hex');
}
