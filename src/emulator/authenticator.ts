import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { ossErrors } from './oss-error.js';
import type { ParsedRequest } from './parsed-request.js';
import type { Credential } from './types.js';

/**
 * Query parameters OSS includes in the V1 canonical resource (OSS's documented list, trimmed to
 * what a client of this emulator could send). Everything else, e.g. prefix/marker/max-keys, is unsigned.
 */
export const SIGNED_SUBRESOURCES = new Set(
  `acl uploads location cors logging website referer lifecycle delete append tagging objectMeta uploadId partNumber security-token
   position img style styleName replication replicationProgress replicationLocation cname bucketInfo comp qos live status vod
   startTime endTime symlink x-oss-process response-content-type x-oss-traffic-limit response-content-language response-expires
   response-cache-control response-content-disposition response-content-encoding udf udfName udfImage udfId udfImageDesc
   udfApplication udfApplicationLog restore callback callback-var qosInfo policy stat encryption versions versioning versionId
   requestPayment x-oss-request-payer sequential inventory inventoryId continuation-token asyncFetch worm wormId wormExtend
   objectInfo`.split(/\s+/),
);

/** A header's value as signed: repeated ones joined by ',', an absent one ''. */
function headerValue(headers: IncomingHttpHeaders, name: string): string {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : (value ?? '');
}

/** `/BUCKET/KEY?sub&res=v` with the raw (decoded) key, as the SDK's buildCanonicalizedResource makes it. */
function canonicalResource(request: ParsedRequest): string {
  let resource = '/';
  if (request.bucket !== undefined) resource += `${request.bucket}/`;
  if (request.key !== undefined) resource += request.key;
  const signed = Object.keys(request.query)
    .filter((name) => SIGNED_SUBRESOURCES.has(name))
    .sort();
  if (signed.length === 0) return resource;
  const parts = signed.map((name) => (request.query[name] ? `${name}=${request.query[name]}` : name));
  return `${resource}?${parts.join('&')}`;
}

/** A text's UTF-8 bytes, one char per byte: the form header values already have (see v1StringToSign). */
export function utf8AsBytes(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1');
}

/** For people reading an error: the bytes of a byte string shown as the UTF-8 text they spell. */
function bytesAsText(bytes: string): string {
  return Buffer.from(bytes, 'latin1').toString('utf8');
}

/**
 * The V1 string-to-sign for this request as a byte string (one char per byte; sign it as `latin1`),
 * since OSS signs the bytes as sent: Node decodes each header byte as one char, so header values go
 * in as they are (re-encoding a UTF-8 `x-oss-meta-*` value would sign other bytes), while the
 * resource (the decoded key) is text and goes in as its UTF-8 bytes. A presigned URL signs its
 * Expires value where a header-signed request signs its date.
 */
function v1StringToSign(request: ParsedRequest, headers: IncomingHttpHeaders, expires?: string): string {
  const ossHeaders = Object.keys(headers)
    .filter((name) => name.startsWith('x-oss-'))
    .sort()
    .map((name) => `${name}:${headerValue(headers, name).trim()}`);
  return [
    request.method,
    headerValue(headers, 'content-md5'),
    headerValue(headers, 'content-type'),
    // The SDK sends x-oss-date and no Date; OSS accepts either in this position.
    expires ?? (headerValue(headers, 'x-oss-date') || headerValue(headers, 'date')),
    ...ossHeaders,
    utf8AsBytes(canonicalResource(request)),
  ].join('\n');
}

/** `stringToSign` is a byte string (v1StringToSign). */
function v1Signature(secret: string, stringToSign: string): string {
  return createHmac('sha1', secret).update(stringToSign, 'latin1').digest('base64');
}

/** `OSS AK:SIGNATURE` → its parts, or undefined if the header is not a V1 authorization. */
function parseV1Authorization(authorization: string): { accessKeyId: string; signature: string } | undefined {
  const match = /^OSS ([^:]+):(.+)$/.exec(authorization);
  return match ? { accessKeyId: match[1]!, signature: match[2]! } : undefined;
}

interface V4Authorization {
  accessKeyId: string;
  date: string;
  region: string;
  product: string;
  additionalHeaders: string[];
  signature: string;
}

/** `OSS4-HMAC-SHA256 Credential=AK/DATE/REGION/oss/aliyun_v4_request,[AdditionalHeaders=a;b,]Signature=HEX`. */
function parseV4Authorization(authorization: string): V4Authorization | undefined {
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
  const [accessKeyId, date, region, product] = scope as [string, string, string, string];
  return { accessKeyId, date, region, product, additionalHeaders: additional ? additional.split(';') : [], signature };
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
 * The canonical request is hashed as latin1: its header values are one char per byte as sent, and the
 * rest is ASCII (percent-encoded path and query), so it hashes exactly the bytes ali-oss signed.
 */
function v4StringToSign(request: ParsedRequest, headers: IncomingHttpHeaders, auth: V4Authorization): string {
  const timestamp = headerValue(headers, 'x-oss-date').trim();
  const hashed = createHash('sha256')
    .update(canonicalRequest(request, headers, auth.additionalHeaders), 'latin1')
    .digest('hex');
  return ['OSS4-HMAC-SHA256', timestamp, `${auth.date}/${auth.region}/${auth.product}/aliyun_v4_request`, hashed].join('\n');
}

function v4Signature(secret: string, auth: V4Authorization, stringToSign: string): string {
  const hmac = (key: string | Buffer, data: string): Buffer => createHmac('sha256', key).update(data).digest();
  const signingKey = hmac(hmac(hmac(hmac(`aliyun_v4${secret}`, auth.date), auth.region), auth.product), 'aliyun_v4_request');
  return createHmac('sha256', signingKey).update(stringToSign).digest('hex');
}

/** OSS rejects requests whose date is more than 15 minutes off. */
const MAX_SKEW_MS = 15 * 60 * 1000;

/** A constant-time comparison, so an answer's timing does not tell how much of a secret matched. */
export function sameText(a: string, b: string): boolean {
  const bufA = Buffer.from(a);
  const bufB = Buffer.from(b);
  return bufA.length === bufB.length && timingSafeEqual(bufA, bufB);
}

/** x-oss-date is RFC 1123 for V1 and yyyymmddTHHMMSSZ for V4. */
function requestTime(headers: IncomingHttpHeaders): number | undefined {
  const raw = (headers['x-oss-date'] as string | undefined) ?? headers.date;
  if (!raw) return undefined;
  const compact = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(raw);
  const time = compact ? Date.UTC(+compact[1]!, +compact[2]! - 1, +compact[3]!, +compact[4]!, +compact[5]!, +compact[6]!) : Date.parse(raw);
  return Number.isNaN(time) ? undefined : time;
}

/** Verifies V1 (`OSS AK:SIG`) and V4 (`OSS4-HMAC-SHA256 ...`) header signatures; throws the OSS error otherwise. */
export class Authenticator {
  private readonly credentials = new Map<string, Credential>();
  /** security token -> the temporary key it was issued with, to tell "no such token" from "another key's". */
  private readonly tokens = new Map<string, string>();

  constructor(credentials: readonly Credential[]) {
    for (const c of credentials) this.add(c);
  }

  /** Adds (or replaces) a key; one with a securityToken is temporary, as STS issues them. */
  add(credential: Credential): void {
    this.credentials.set(credential.accessKeyId, { ...credential });
    if (credential.securityToken !== undefined) this.tokens.set(credential.securityToken, credential.accessKeyId);
  }

  /** The key's secret, once the security token sent with it (x-oss-security-token) checks out. */
  private secretOf(accessKeyId: string, token: string | undefined): string {
    const credential = this.credentials.get(accessKeyId);
    if (credential === undefined) throw ossErrors.invalidAccessKeyId(accessKeyId);
    // A long-term key: a token sent along is not checked (what OSS does then is not documented, and
    // the demo signs its static key with whatever sts_token the config names).
    if (credential.securityToken === undefined) return credential.accessKeySecret;
    if (token === undefined || !sameText(token, credential.securityToken)) {
      if (token !== undefined && this.tokens.has(token)) throw ossErrors.accessKeyIdAndSecurityTokenNotMatch(accessKeyId);
      throw ossErrors.invalidSecurityToken();
    }
    if (credential.expiration !== undefined && Date.now() >= credential.expiration) throw ossErrors.securityTokenExpired();
    return credential.accessKeySecret;
  }

  verify(request: ParsedRequest, headers: IncomingHttpHeaders): void {
    const authorization = headers.authorization;
    if (!authorization) {
      if (request.query.OSSAccessKeyId !== undefined) return this.verifyPresigned(request, headers);
      throw ossErrors.accessDenied('You have no right to access this object because of bucket acl.');
    }

    const v1 = parseV1Authorization(authorization);
    const v4 = v1 ? undefined : parseV4Authorization(authorization);
    const accessKeyId = v1?.accessKeyId ?? v4?.accessKeyId;
    if (accessKeyId === undefined)
      throw ossErrors.invalidArgument('Authorization header is invalid.', { Authorization: authorization.split(' ')[0] ?? '' });
    const secret = this.secretOf(accessKeyId, headers['x-oss-security-token'] as string | undefined);

    const time = requestTime(headers);
    if (time === undefined || Math.abs(Date.now() - time) > MAX_SKEW_MS) throw ossErrors.requestTimeTooSkewed(time);

    const stringToSign = v1 ? v1StringToSign(request, headers) : v4StringToSign(request, headers, v4!);
    const expected = v1 ? v1Signature(secret, stringToSign) : v4Signature(secret, v4!, stringToSign);
    if (!sameText(expected, (v1 ?? v4!).signature)) throw ossErrors.signatureDoesNotMatch(accessKeyId, bytesAsText(stringToSign));
  }

  /** A V1 presigned URL (`?OSSAccessKeyId=&Expires=&Signature=`, what ali-oss signatureUrl makes). */
  private verifyPresigned(request: ParsedRequest, headers: IncomingHttpHeaders): void {
    const { OSSAccessKeyId: accessKeyId = '', Expires: expires = '', Signature: signature = '' } = request.query;
    const secret = this.secretOf(accessKeyId, request.query['security-token'] ?? (headers['x-oss-security-token'] as string | undefined));
    if (!/^\d+$/.test(expires) || Number(expires) * 1000 < Date.now()) throw ossErrors.accessDenied('Request has expired.');
    const stringToSign = v1StringToSign(request, headers, expires);
    // A hand-pasted URL may carry base64's '+' unescaped, which query decoding turns into a space.
    if (!sameText(v1Signature(secret, stringToSign), signature.replace(/ /g, '+')))
      throw ossErrors.signatureDoesNotMatch(accessKeyId, bytesAsText(stringToSign));
  }
}
