/** OSS naming rules for buckets and key prefixes. */
import { InvalidValue, describeValue } from './config-error.js';

const BUCKET = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;

export function checkBucket(value: unknown): string {
  if (typeof value === 'string' && BUCKET.test(value)) return value;
  throw new InvalidValue(
    `${describeValue(value)} is not a valid bucket name (3-63 characters: lowercase letters, digits and '-', starting and ending with a letter or digit)`,
  );
}

/** `/photos//2024` -> `photos/2024/`; '' stays '' (the bucket root). Rejects `.` and `..` segments. */
export function normaliseKeyPrefix(value: unknown): string {
  if (typeof value !== 'string') throw new InvalidValue(`expected a key prefix like "photos/", got ${describeValue(value)}`);
  const segments = value.split('/').filter((segment) => segment !== '');
  if (segments.some((segment) => segment === '..')) {
    throw new InvalidValue(`${describeValue(value)} escapes the bucket with a ".." segment; prefixes may only go down`);
  }
  if (segments.some((segment) => segment === '.')) throw new InvalidValue(`${describeValue(value)} has a "." segment; remove it`);
  return segments.length === 0 ? '' : `${segments.join('/')}/`;
}
