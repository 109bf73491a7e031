import { setTimeout as sleep } from 'node:timers/promises';
import type { ListedObject, ObjectStorage } from '../../uploader/index.js';
import { forEachLimit } from '../../lib/for-each-limit.js';

/** Storage classes OSS serves only after a RestoreObject (minutes for Archive, hours for ColdArchive). */
const ARCHIVE_CLASSES: ReadonlySet<string> = new Set(['Archive', 'ColdArchive', 'DeepColdArchive']);

export function isArchived(object: { storageClass?: string }): boolean {
  return ARCHIVE_CLASSES.has(object.storageClass ?? '');
}

/** An archived object's state once its restore was asked for: readable, under way, or the request's error. */
export type ThawState = 'done' | 'requested' | Error;

export interface ThawOptions {
  storage: ObjectStorage;
  bucket: string;
  /** Days the restored copy stays readable. */
  days: number;
  /** HEADs and RestoreObjects at once. */
  parallel: number;
  signal?: AbortSignal;
}

/**
 * Asks OSS to restore each archived object that is not readable yet, all before any download
 * starts: restores run in parallel on OSS, so a --wait is about as long as the slowest one, not
 * their sum. Returns the keys already readable; a request that failed is named by its error.
 */
export async function requestRestores(o: ThawOptions, objects: readonly ListedObject[]): Promise<Map<string, ThawState>> {
  const states = new Map<string, ThawState>();
  await forEachLimit(objects, o.parallel, async (object) => {
    const ref = { bucket: o.bucket, key: object.key };
    try {
      const info = await o.storage.head(ref, { signal: o.signal });
      if (info?.restore === 'done') return void states.set(object.key, 'done');
      if (info?.restore === 'ongoing') return void states.set(object.key, 'requested');
      const result = await o.storage.restoreObject(ref, { days: o.days, storageClass: object.storageClass!, signal: o.signal });
      states.set(object.key, result === 'done' ? 'done' : 'requested');
    } catch (err) {
      states.set(object.key, err as Error);
    }
  });
  return states;
}

/** Polls HEAD's x-oss-restore until the object is readable (ongoing-request="false"). */
export async function waitUntilRestored(o: ThawOptions, key: string, pollMs: number): Promise<void> {
  for (;;) {
    const info = await o.storage.head({ bucket: o.bucket, key }, { signal: o.signal });
    if (!info) throw new Error(`oss://${o.bucket}/${key} is gone`);
    if (info.restore === 'done') return;
    await sleep(pollMs, undefined, { signal: o.signal });
  }
}
