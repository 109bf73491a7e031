import type { OutgoingHttpHeaders } from 'node:http';
import { readSmallBody } from './body-reader.js';
import type { Bucket } from './bucket.js';
import { OssError, ossErrors } from './oss-error.js';
import type { RequestContext } from './request-context.js';
import type { ObjectMeta, StorageClass } from './types.js';

/** Objects in these classes must be restored before GetObject, which OSS refuses otherwise. */
const NEEDS_RESTORE: ReadonlySet<StorageClass> = new Set(['Archive', 'ColdArchive', 'DeepColdArchive']);

/** How long a restore takes here (OSS: minutes to hours). */
const RESTORE_DELAY_MS = 1_000;

interface RestoreState {
  /** The ETag restored: an overwrite is a new object that starts frozen again. */
  etag: string;
  readyAt: number;
  expiresAt: number;
}

/**
 * The archive state of a bucket's objects: which were asked to be restored, and when they become
 * (and stop being) readable. Kept in memory: a restarted emulator forgets restores in progress.
 */
export class ArchiveRestores {
  private readonly states = new Map<string, RestoreState>();

  private stateOf(meta: ObjectMeta): RestoreState | undefined {
    const state = this.states.get(meta.key);
    return state && state.etag === meta.etag && state.expiresAt > Date.now() ? state : undefined;
  }

  /** Whether GetObject may serve the object now. */
  readable(meta: ObjectMeta): boolean {
    if (!NEEDS_RESTORE.has(meta.storageClass ?? 'Standard')) return true;
    const state = this.stateOf(meta);
    return state !== undefined && state.readyAt <= Date.now();
  }

  /** x-oss-restore as HEAD shows it: ongoing, or done with its expiry; nothing when never asked. */
  headers(meta: ObjectMeta): OutgoingHttpHeaders {
    const state = this.stateOf(meta);
    if (!state) return {};
    if (state.readyAt > Date.now()) return { 'x-oss-restore': 'ongoing-request="true"' };
    return { 'x-oss-restore': `ongoing-request="false", expiry-date="${new Date(state.expiresAt).toUTCString()}"` };
  }

  /** 202 when started, 409 RestoreAlreadyInProgress while running, 200 (expiry extended) when done. */
  request(meta: ObjectMeta, days: number): 200 | 202 {
    const state = this.stateOf(meta);
    const now = Date.now();
    if (state && state.readyAt > now)
      throw new OssError(409, 'RestoreAlreadyInProgress', 'The restore operation is in progress.', { Key: meta.key });
    if (state) {
      state.expiresAt = now + days * 86_400_000;
      return 200;
    }
    this.states.set(meta.key, { etag: meta.etag, readyAt: now + RESTORE_DELAY_MS, expiresAt: now + RESTORE_DELAY_MS + days * 86_400_000 });
    return 202;
  }
}

/** RestoreObject: `POST /key?restore`, an optional RestoreRequest/Days (default 1). */
export async function restoreObject(ctx: RequestContext, bucket: Bucket): Promise<void> {
  const body = (await readSmallBody(ctx, 64 * 1024)).toString('utf8');
  const meta = bucket.objects.get(ctx.parsed.key!);
  if (!meta) throw ossErrors.noSuchKey(ctx.parsed.key!);
  if (!NEEDS_RESTORE.has(meta.storageClass ?? 'Standard')) {
    throw new OssError(400, 'OperationNotSupported', 'The operation is not supported for this resource', { Key: meta.key });
  }
  const daysText = /<Days>\s*(\d+)\s*<\/Days>/.exec(body)?.[1];
  const days = daysText === undefined ? 1 : Number(daysText);
  if (!(days >= 1 && days <= 365)) throw ossErrors.invalidValue('Days must be 1..365.', 'Days', daysText ?? '');
  ctx.sendEmpty(bucket.restores.request(meta, days));
}
