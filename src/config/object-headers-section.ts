/**
 * A folder's `server_side_encryption`, `kms_key_id` and `tags`: what every object the folder uploads
 * is created with (x-oss-server-side-encryption, x-oss-tagging), checked against OSS's rules here so a
 * bad value is a located config error, not a failed upload of every file.
 */
import { hostname } from 'node:os';
import { describeValue } from './config-error.js';
import type { SectionReader } from './section-reader.js';
import { isMapping } from './section-reader.js';
import { ENCRYPTION_ALGORITHMS } from './types.js';
import type { FolderConfig } from './types.js';
import { childPath } from './yaml-source.js';

/** OSS's object tag limits. */
const TAG_LIMITS = { count: 10, keyLength: 128, valueLength: 256 } as const;
/** The only characters OSS takes in an object tag's key and value (letters, digits, space, + - = . _ : /). */
const TAG_TEXT = /^[A-Za-z0-9 +\-=._:/]*$/;
const TAG_TEXT_RULE = 'OSS takes only letters, digits, spaces and + - = . _ : / in a tag';

/** Written in a tag value, stands for this machine's host name (so one config tags each host's objects). */
const HOSTNAME_PLACEHOLDER = '{hostname}';

export function readObjectHeaders(folder: SectionReader): Pick<FolderConfig, 'encryption' | 'tags'> {
  const algorithm = folder.oneOf('server_side_encryption', ENCRYPTION_ALGORITHMS);
  const kmsKeyId = folder.string('kms_key_id');
  // OSS refuses a key id without KMS: every upload of the folder would fail.
  if (kmsKeyId !== undefined && algorithm !== 'KMS' && (algorithm !== undefined || !folder.has('server_side_encryption'))) {
    const instead = algorithm === undefined ? 'none is set' : `it is ${algorithm}`;
    folder.sink.atKey(folder.keyPath('kms_key_id'), `is only used with server_side_encryption: KMS, and ${instead}`);
  }
  return { encryption: algorithm && { algorithm, kmsKeyId: algorithm === 'KMS' ? kmsKeyId : undefined }, tags: readTags(folder) };
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
    const checked = checkTag(key, value);
    if ('text' in checked) tags[key] = checked.text;
    else {
      folder.sink[checked.atKey ? 'atKey' : 'atValue'](childPath(path, key), checked.problem);
      valid = false;
    }
  }
  return valid ? tags : undefined;
}

/** A tag's value with {hostname} filled in, or what OSS would refuse about the tag (at its key or its value). */
function checkTag(key: string, value: unknown): { text: string } | { atKey: boolean; problem: string } {
  if (key.length === 0) return { atKey: true, problem: `tag key is empty; OSS requires 1 to ${TAG_LIMITS.keyLength} characters` };
  if (!TAG_TEXT.test(key)) return { atKey: true, problem: `tag key ${JSON.stringify(key)} has a character ${TAG_TEXT_RULE}` };
  if (key.length > TAG_LIMITS.keyLength)
    return { atKey: true, problem: `tag key is ${key.length} characters; OSS allows at most ${TAG_LIMITS.keyLength}` };
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean')
    return { atKey: false, problem: `expected a tag value (text), got ${describeValue(value)}` };
  const text = String(value).split(HOSTNAME_PLACEHOLDER).join(hostname());
  if (text.length > TAG_LIMITS.valueLength)
    return { atKey: false, problem: `tag value is ${text.length} characters; OSS allows at most ${TAG_LIMITS.valueLength}` };
  if (!TAG_TEXT.test(text)) return { atKey: false, problem: `tag value ${JSON.stringify(text)} has a character ${TAG_TEXT_RULE}` };
  return { text };
}
