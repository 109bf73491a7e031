import { SIGNED_SUBRESOURCES } from './signature-v1.js';

/**
 * Query parameters the emulator understands: the multipart ones, RestoreObject, the bucket's
 * lifecycle and versioning, ListObjectVersions, versionId, GetObjectTagging, listing's continuation
 * token, and GetObject's response-header overrides. Every other OSS sub-resource (`?acl`,
 * `?symlink`, ...) names an operation it does not have.
 */
const UNDERSTOOD = new Set([
  'uploads',
  'uploadId',
  'partNumber',
  'continuation-token',
  'restore',
  'lifecycle',
  'versioning',
  'versions',
  'versionId',
  'tagging',
  'response-content-type',
  'response-content-language',
  'response-expires',
  'response-cache-control',
  'response-content-disposition',
  'response-content-encoding',
]);

/**
 * The first OSS sub-resource in the query the emulator does not implement, or undefined. A request
 * naming one must be refused (501), never served as the plain object or bucket operation: `PUT ?acl`
 * would otherwise replace the object with an empty body and `DELETE ?tagging` delete it.
 */
export function unimplementedSubResource(query: Record<string, string>): string | undefined {
  return Object.keys(query).find((name) => SIGNED_SUBRESOURCES.has(name) && !UNDERSTOOD.has(name));
}
