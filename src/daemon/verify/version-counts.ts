import type { ObjectStorage } from '../../uploader/index.js';

/** What a versioned bucket keeps under a folder's prefix besides its current objects. */
export interface VersionCounts {
  /** Older versions of objects: kept by OSS (and billed) until a lifecycle rule expires them. */
  noncurrent: number;
  deleteMarkers: number;
}

/**
 * Counts a folder's noncurrent versions and delete markers (one ListObjectVersions pass) when its
 * bucket has versioning; undefined for a bucket that never had it, or when the key may not ask
 * (verify's own checks do not depend on it). `versioningOf` is asked once per bucket by the caller.
 */
export async function versionCounts(
  storage: ObjectStorage,
  bucket: string,
  prefix: string,
  versioningOf: (bucket: string) => Promise<string | undefined>,
  signal?: AbortSignal,
): Promise<VersionCounts | undefined> {
  try {
    if ((await versioningOf(bucket)) === undefined) return undefined;
    const versions = await storage.listObjectVersions(bucket, prefix, { signal });
    return {
      noncurrent: versions.filter((v) => !v.deleteMarker && !v.isLatest).length,
      deleteMarkers: versions.filter((v) => v.deleteMarker).length,
    };
  } catch {
    return undefined;
  }
}
