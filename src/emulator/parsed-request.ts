import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { OssError, ossErrors } from './oss-error.js';
import { SIGNED_SUBRESOURCES } from './authenticator.js';
import type { OssOperation } from './types.js';

/** What a request addresses, worked out from Host, path and query before anything else runs. */
export interface ParsedRequest {
  method: string;
  /** The raw (still percent-encoded) path, as the client sent it. */
  rawPath: string;
  query: Record<string, string>;
  /** True when the bucket came from the path (localhost/IP Host), false for virtual-hosted style. */
  pathStyle: boolean;
  bucket?: string;
  key?: string;
  operation?: OssOperation;
  partNumber?: number;
  uploadId?: string;
  /** An OSS sub-resource in the query that the emulator does not implement (then no operation). */
  unimplemented?: string;
}

/**
 * The OSS sub-resources (SIGNED_SUBRESOURCES) the emulator understands. A request naming any other
 * (`?acl`, `?symlink`, ...) must be refused (501), never served as the plain object or bucket
 * operation: `PUT ?acl` would replace the object with an empty body, `DELETE ?tagging` delete it.
 */
const UNDERSTOOD = new Set(
  `uploads uploadId partNumber continuation-token restore lifecycle versioning versions versionId tagging response-content-type
   response-content-language response-expires response-cache-control response-content-disposition response-content-encoding`.split(/\s+/),
);

/** Path style when Host is an IP or localhost (what `sldEnable` sends); otherwise Host's first label. */
function hostBucket(host: string | undefined): string | undefined {
  if (!host) return undefined;
  const lower = host.toLowerCase(); // host names are case-insensitive; bucket names are lowercase
  const hostname = lower.startsWith('[') ? lower.slice(1, lower.indexOf(']')) : lower.replace(/:\d+$/, '');
  if (isIP(hostname) !== 0 || hostname === 'localhost') return undefined;
  const firstDot = hostname.indexOf('.');
  return firstDot > 0 ? hostname.slice(0, firstDot) : undefined;
}

function decodePath(rawPath: string): string {
  try {
    return decodeURIComponent(rawPath);
  } catch {
    throw new OssError(400, 'InvalidURI', 'Could not parse the specified URI.');
  }
}

function operationOf(method: string, key: string | undefined, query: Record<string, string>, copy: boolean): OssOperation | undefined {
  const has = (name: string): boolean => name in query;
  if (key === undefined) {
    if (has('lifecycle'))
      return ({ PUT: 'PutBucketLifecycle', GET: 'GetBucketLifecycle', DELETE: 'DeleteBucketLifecycle' } as const)[method];
    if (has('versioning')) return ({ PUT: 'PutBucketVersioning', GET: 'GetBucketVersioning' } as const)[method];
    if (method !== 'GET') return undefined;
    if (has('versions')) return 'ListObjectVersions';
    if (has('uploads')) return 'ListMultipartUploads';
    if (query['list-type'] === '2') return 'ListObjectsV2';
    return 'ListObjects';
  }
  // Only reads and deletes name a version; only GET reads ?tagging (Put/DeleteObjectTagging are not here).
  if (has('versionId') && !['GET', 'HEAD', 'DELETE'].includes(method)) return undefined;
  if (has('tagging')) return method === 'GET' ? 'GetObjectTagging' : undefined;
  switch (method) {
    case 'PUT':
      // A copy (x-oss-copy-source) is its own operation: it sends no body, and faults and logs tell them apart.
      if (has('uploadId') && has('partNumber')) return copy ? 'UploadPartCopy' : 'UploadPart';
      return has('uploadId') ? undefined : copy ? 'CopyObject' : 'PutObject';
    case 'GET':
      return has('uploadId') ? 'ListParts' : 'GetObject';
    case 'HEAD':
      return 'HeadObject';
    case 'DELETE':
      return has('uploadId') ? 'AbortMultipartUpload' : 'DeleteObject';
    case 'POST':
      if (has('uploads')) return 'InitiateMultipartUpload';
      if (has('restore')) return 'RestoreObject';
      return has('uploadId') ? 'CompleteMultipartUpload' : undefined;
    default:
      return undefined;
  }
}

export function parseRequest(req: IncomingMessage): ParsedRequest {
  const url = req.url ?? '/';
  const queryStart = url.indexOf('?');
  const rawPath = queryStart < 0 ? url : url.slice(0, queryStart);
  const query = Object.fromEntries(new URLSearchParams(queryStart < 0 ? '' : url.slice(queryStart + 1)));
  const method = (req.method ?? 'GET').toUpperCase();
  const path = decodePath(rawPath);

  let bucket = hostBucket(req.headers.host);
  const pathStyle = bucket === undefined;
  let keyPart = path.slice(1);
  if (pathStyle) {
    const slash = keyPart.indexOf('/');
    bucket = (slash < 0 ? keyPart : keyPart.slice(0, slash)) || undefined;
    keyPart = slash < 0 ? '' : keyPart.slice(slash + 1);
  }
  const key = keyPart === '' ? undefined : keyPart;
  const parsed: ParsedRequest = { method, rawPath, query, pathStyle, bucket, key };
  const unimplemented = Object.keys(query).find((name) => SIGNED_SUBRESOURCES.has(name) && !UNDERSTOOD.has(name));
  if (unimplemented !== undefined) parsed.unimplemented = unimplemented;
  else if (bucket !== undefined) parsed.operation = operationOf(method, key, query, req.headers['x-oss-copy-source'] !== undefined);
  if (query.uploadId !== undefined) parsed.uploadId = query.uploadId;
  if (query.partNumber !== undefined) parsed.partNumber = Number(query.partNumber);
  return parsed;
}

/** Keys are 1..1023 UTF-8 bytes (OSS's limit). */
export function checkObjectKey(key: string): void {
  if (Buffer.byteLength(key) > 1023) throw ossErrors.invalidObjectName();
}
