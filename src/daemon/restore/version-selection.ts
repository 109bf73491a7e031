import type { ListedObject, ListedVersion, ObjectStorage } from '../../uploader/index.js';

/**
 * What a prefix held at `at`, from its object versions (restore --at): per key the newest version
 * written at or before `at`; a key whose newest such entry is a delete marker (deleted by then), or
 * that had no version yet, is left out. Needs a bucket whose versioning was enabled before `at`:
 * without it only current objects exist, and those written after `at` are not restored.
 */
export function versionsAt(versions: readonly ListedVersion[], at: number): ListedObject[] {
  const chosen = new Map<string, { entry: ListedVersion; time: number }>();
  for (const entry of versions) {
    const time = Date.parse(entry.lastModified);
    if (!(time <= at)) continue;
    const best = chosen.get(entry.key);
    // Strictly newer wins: of two entries in the same instant the one listed first (newer in OSS's order) stays.
    if (!best || time > best.time) chosen.set(entry.key, { entry, time });
  }
  const objects: ListedObject[] = [];
  for (const { entry } of chosen.values()) {
    if (entry.deleteMarker) continue;
    const { key, size, etag, storageClass, lastModified, versionId } = entry;
    objects.push({ key, size, etag, storageClass, lastModified, versionId });
  }
  return objects.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** One ListObjectVersions pass over the prefix, reduced to what it held at `at`. */
export async function listObjectsAt(
  storage: ObjectStorage,
  bucket: string,
  prefix: string,
  at: Date,
  signal?: AbortSignal,
): Promise<ListedObject[]> {
  return versionsAt(await storage.listObjectVersions(bucket, prefix, { signal }), at.getTime());
}

/** `--at` as given: an ISO 8601 date and time (a zone, or local time), or a date alone (its start). */
export function parseRestoreTime(text: string): Date | undefined {
  if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(text)) return undefined;
  // A date alone parses as UTC in JavaScript; the user means their own midnight.
  const time = new Date(/^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00` : text.replace(' ', 'T'));
  return Number.isNaN(time.getTime()) ? undefined : time;
}
