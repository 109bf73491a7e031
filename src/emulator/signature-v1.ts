import { createHmac } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { ParsedRequest } from './parsed-request.js';

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
export function headerValue(headers: IncomingHttpHeaders, name: string): string {
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
export function bytesAsText(bytes: string): string {
  return Buffer.from(bytes, 'latin1').toString('utf8');
}

/**
 * The V1 string-to-sign the client should have signed for this request, as a byte string (one char
 * per byte; sign it with `latin1`). OSS signs the bytes as sent: Node hands us each header value
 * decoded byte for byte (latin1), so its chars are those bytes already, while the resource (the
 * decoded key) is text and goes in as its UTF-8 bytes. A UTF-8 `x-oss-meta-*` value (what ali-oss
 * sends with `headerEncoding: 'latin1'`) thus verifies over the bytes the client signed; re-encoding
 * the decoded header as UTF-8 would sign different bytes.
 * A presigned URL signs its Expires value where a header-signed request signs its date.
 */
export function v1StringToSign(request: ParsedRequest, headers: IncomingHttpHeaders, expires?: string): string {
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
export function v1Signature(secret: string, stringToSign: string): string {
  return createHmac('sha1', secret).update(stringToSign, 'latin1').digest('base64');
}

/** `OSS AK:SIGNATURE` → its parts, or undefined if the header is not a V1 authorization. */
export function parseV1Authorization(authorization: string): { accessKeyId: string; signature: string } | undefined {
  const match = /^OSS ([^:]+):(.+)$/.exec(authorization);
  return match ? { accessKeyId: match[1]!, signature: match[2]! } : undefined;
}
