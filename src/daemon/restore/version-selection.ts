import type { ListedObject, ListedVersion, ObjectStorage } from '../../uploader/index.js';

/**
 * What a prefix held at `at`, from its object versions (restore --at): per key the newest version
 * written at or before `at`; a key whose newest such entry is a delete marker (deleted by then), or
 * that had no version yet, is left out. Needs a bucket whose versioning was enabled before `at`:
 * without it only current objects exist, and those written after `at` are not restored.
 * OSS lists times in whole seconds: a version written in the same second as `at` counts as at or
 * before it (within a second the order is OSS's listing order, newest first).
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
    const { key, size, etag, storageClass, lastModified, versionId, deleteMarker } = entry;
    if (!deleteMarker) objects.push({ key, size, etag, storageClass, lastModified, versionId });
  }
  return objects.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/**
 * One ListObjectVersions pass over the prefix, reduced to what it held at `at`. Refused on a bucket
 * whose versioning was never enabled: a file changed since `at` has no older version there, so it
 * would be left out and the restore reported as done.
 */
export async function listObjectsAt(
  storage: ObjectStorage,
  bucket: string,
  prefix: string,
  at: Date,
  signal?: AbortSignal,
): Promise<ListedObject[]> {
  if ((await storage.getVersioning(bucket, { signal })) === undefined)
    throw new Error(`bucket ${bucket} has no versioning: --at needs the older versions it keeps (enable it for restores to come)`);
  return versionsAt(await storage.listObjectVersions(bucket, prefix, { signal }), at.getTime());
}

/** `--at` as given: an ISO 8601 date and time (a zone, or local time), or a date alone (its start). */
export function parseRestoreTime(text: string): Date | undefined {
  const parts = /^(\d{4})-(\d{2})-(\d{2})([T ](\d{2}):(\d{2})(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.exec(text);
  if (!parts) return undefined;
  // JavaScript rolls an impossible date or hour over (February 30th is March 2nd): a typo would
  // restore another moment than the one asked for. Each field must exist as written.
  const [year, month, day, hour, minute] = [1, 2, 3, 5, 6].map((i) => Number(parts[i] ?? 0));
  const date = new Date(Date.UTC(year!, month! - 1, day!));
  if (date.getUTCMonth() !== month! - 1 || date.getUTCDate() !== day! || hour! > 23 || minute! > 59) return undefined;
  // A date alone parses as UTC in JavaScript; the user means their own midnight.
  const time = new Date(/^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00` : text.replace(' ', 'T'));
  return Number.isNaN(time.getTime()) ? undefined : time;
}
