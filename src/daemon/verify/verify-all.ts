import type { Config, FolderConfig } from '../../config/index.js';
import type { StateStore } from '../../store/index.js';
import type { ObjectStorage } from '../../uploader/index.js';
import { folderFilter } from '../watch/path-filter.js';
import { MISMATCH_KINDS, verifyFolder, type FolderVerification, type VerifyOptions, type VersionCounts } from './verify-folder.js';

export type VerifyAllOptions = Pick<VerifyOptions, 'checksum' | 'deep' | 'sample' | 'requeue' | 'signal'>;

export interface VerifyAllResult {
  folders: FolderVerification[];
  /** Folders that could not be checked (listing refused, ...). */
  errors: Array<{ folder: string; error: string }>;
  mismatches: number;
  ok: boolean;
}

/**
 * Verifies the folders one after another, as `oss-sync verify` and run's verify_schedule do. When
 * every configured folder was checked and found in order, records it (/metrics shows when; the
 * row is read by a daemon in another process too). A run over some folders only is partial: not recorded.
 */
export async function verifyFolders(
  config: Pick<Config, 'ignore' | 'stateDb' | 'concurrency' | 'folders'>,
  folders: readonly FolderConfig[],
  deps: { store: StateStore; storage: ObjectStorage },
  o: VerifyAllOptions,
): Promise<VerifyAllResult> {
  const results: FolderVerification[] = [];
  const errors: VerifyAllResult['errors'] = [];
  const versioning = new Map<string, Promise<string | undefined>>();
  for (const folder of folders) {
    try {
      const result = await verifyFolder(folder, {
        ...o,
        storage: deps.storage,
        records: deps.store.verify,
        filter: folderFilter(folder, config),
        parallel: Math.max(4, config.concurrency.files * 2),
      });
      const versions = await versionCounts(deps.storage, folder.bucket, folder.prefix, versioning);
      results.push(versions ? { ...result, versions } : result);
    } catch (err) {
      errors.push({ folder: folder.name, error: (err as Error).message });
    }
  }
  const mismatches = results.reduce((n, r) => n + r.findings.filter((f) => MISMATCH_KINDS.has(f.kind)).length, 0);
  const ok = mismatches === 0 && errors.length === 0;
  if (ok && folders.length === config.folders.length) deps.store.verify.recordSuccess();
  return { folders: results, errors, mismatches, ok };
}

/**
 * Counts a folder's noncurrent versions and delete markers (one ListObjectVersions pass) when its
 * bucket has versioning; undefined for a bucket that never had it, or when the key may not ask
 * (verify's own checks do not depend on it). `versioning` keeps each bucket's answer: one request per bucket.
 */
async function versionCounts(
  storage: ObjectStorage,
  bucket: string,
  prefix: string,
  versioning: Map<string, Promise<string | undefined>>,
): Promise<VersionCounts | undefined> {
  if (!versioning.has(bucket)) versioning.set(bucket, storage.getVersioning(bucket));
  try {
    if ((await versioning.get(bucket)) === undefined) return undefined;
    const versions = await storage.listObjectVersions(bucket, prefix);
    return {
      noncurrent: versions.filter((v) => !v.deleteMarker && !v.isLatest).length,
      deleteMarkers: versions.filter((v) => v.deleteMarker).length,
    };
  } catch {
    return undefined;
  }
}
