/**
 * A folder's `server_side_encryption`, `kms_key_id` and `tags`: what every object the folder uploads
 * is created with (x-oss-server-side-encryption, x-oss-tagging), checked against OSS's rules here so a
 * bad value is a located config error, not a failed upload of every file.
 */
import { hostname } from 'node:os';
import { describeValue } from './invalid-value.js';
import type { SectionReader } from './section-reader.js';
import { isMapping } from './section-reader.js';
import { ENCRYPTION_ALGORITHMS } from './types.js';
import type { FolderConfig } from './types.js';
import { childPath } from './yaml-source.js';

/** OSS's object tag limits. */
const TAG_LIMITS = { count: 10, keyLength: 128, valueLength: 256 } as const;

/** Written in a tag value, stands for this machine's host name (so one config tags each host's objects). */
export const HOSTNAME_PLACEHOLDER = '{hostname}';

export function readObjectHeaders(folder: SectionReader): Pick<FolderConfig, 'encryption' | 'tags'> {
  const algorithm = folder.oneOf('server_side_encryption', ENCRYPTION_ALGORITHMS);
  const kmsKeyId = folder.string('kms_key_id');
  // OSS refuses a key id without KMS: every upload of the folder would fail.
  if (kmsKeyId !== undefined && algorithm !== 'KMS' && (algorithm !== undefined || !folder.has('server_side_encryption'))) {
    const instead = algorithm === undefined ? 'none is set' : `it is ${algorithm}`;
    folder.sink.atKey(folder.keyPath('kms_key_id'), `is only used with server_side_encryption: KMS, and ${instead}`);
  }
  const tags = readTags(folder);
  return {
    ...(algorithm !== undefined ? { encryption: { algorithm, ...(algorithm === 'KMS' && kmsKeyId ? { kmsKeyId } : {}) } } : {}),
    ...(tags !== undefined ? { tags } : {}),
  };
}

function readTags(folder: SectionReader): Record<string, string> | undefined {
  const raw = folder.raw('tags');
  if (raw === undefined || raw === null) return undefined;
  const path = folder.keyPath('tags');
  if (!isMapping(raw)) {
    folder.sink.atValue(path, `expected a mapping of tag keys to values, got ${describeValue(raw)}`);
    return undefined;
  }
  const entries = Object.entries(raw);
  if (entries.length > TAG_LIMITS.count) {
    folder.sink.atKey(path, `has ${entries.length} tags; OSS allows at most ${TAG_LIMITS.count} on an object`);
    return undefined;
  }
  const tags: Record<string, string> = {};
  let valid = true;
  for (const [key, value] of entries) {
    const at = childPath(path, key);
    if (key.length > TAG_LIMITS.keyLength) {
      folder.sink.atKey(at, `tag key is ${key.length} characters; OSS allows at most ${TAG_LIMITS.keyLength}`);
      valid = false;
      continue;
    }
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      folder.sink.atValue(at, `expected a tag value (text), got ${describeValue(value)}`);
      valid = false;
      continue;
    }
    const text = String(value).split(HOSTNAME_PLACEHOLDER).join(hostname());
    if (text.length > TAG_LIMITS.valueLength) {
      folder.sink.atValue(at, `tag value is ${text.length} characters; OSS allows at most ${TAG_LIMITS.valueLength}`);
      valid = false;
      continue;
    }
    tags[key] = text;
  }
  return valid ? tags : undefined;
}
