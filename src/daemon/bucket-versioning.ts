import { readPrivateJson, writePrivateJson } from '../lib/private-json-file.js';
import type { ObjectStorage } from '../uploader/index.js';
import type { Logger } from '../lib/logger.js';

/** A bucket's versioning as the daemon found it at start: "Off" when never enabled, "unknown" when it could not ask. */
export type VersioningState = 'Enabled' | 'Suspended' | 'Off' | 'unknown';

/** What `status` (another process) shows of the buckets' versioning, next to the state DB (mode 600). */
const versioningStatusPath = (stateDb: string): string => `${stateDb}.versioning.json`;

export function readVersioningStatus(stateDb: string): Record<string, VersioningState> | undefined {
  const data = readPrivateJson(versioningStatusPath(stateDb));
  return typeof data === 'object' && data !== null && !Array.isArray(data) ? (data as Record<string, VersioningState>) : undefined;
}

/**
 * Asks each bucket for its versioning, logs it and records it for `status` (with versioning on,
 * `restore --at` can go back past deletes and overwrites). Never throws: a refusal leaves it unknown.
 */
export async function detectVersioning(
  storage: ObjectStorage,
  buckets: readonly string[],
  stateDb: string,
  logger: Logger,
  signal?: AbortSignal,
): Promise<void> {
  const found: Record<string, VersioningState> = {};
  for (const bucket of new Set(buckets)) {
    try {
      found[bucket] = (await storage.getVersioning(bucket, { signal })) ?? 'Off';
      logger.info('bucket versioning', {
        bucket,
        versioning: found[bucket],
        ...(found[bucket] === 'Enabled'
          ? { note: 'remote deletes leave delete markers; overwritten objects keep their old versions' }
          : {}),
      });
    } catch (err) {
      if (signal?.aborted) break;
      found[bucket] = 'unknown';
      logger.warn('could not read the bucket versioning (GetBucketVersioning); carrying on without knowing it', {
        bucket,
        error: err as Error,
      });
    }
  }
  try {
    writePrivateJson(versioningStatusPath(stateDb), found);
  } catch (err) {
    logger.warn('could not record the bucket versioning for status', { error: err as Error });
  }
}
