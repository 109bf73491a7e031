import type { Bucket } from './bucket.js';
import { OssError } from './oss-error.js';

/**
 * Buckets under a locked retention policy (WORM): their objects can be read and new keys written,
 * but no object can be deleted or overwritten until the retention period ends. Kept in memory, set
 * through the admin API (`POST /-/worm`) or Emulator.lockBucket: a test's stand-in for
 * InitiateBucketWorm + CompleteBucketWorm, whose own APIs the emulator does not implement.
 */
const locked = new WeakSet<Bucket>();

export function lockBucket(bucket: Bucket): void {
  locked.add(bucket);
}

/**
 * OSS's answer to deleting or modifying an object under a locked retention policy: 409
 * FileImmutable (OSS's retention-policy guide, alibabacloud.com/help/zh/oss/configure-retention-policies;
 * EC 0026-00000005 in its error-code reference, which also lists 0026-00000202 for the same case).
 */
export function refuseIfImmutable(bucket: Bucket, key: string): void {
  if (!locked.has(bucket) || !bucket.objects.get(key)) return;
  throw new OssError(
    409,
    'FileImmutable',
    'This object is protected by the retention policy of its bucket and cannot be deleted or modified.',
    {
      Key: key,
      EC: '0026-00000005',
    },
  );
}
