import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ArchiveRestores } from './archive-restore.js';
import { readJson, writeJsonAtomic } from './atomic-file.js';
import { readSmallBody } from './body-reader.js';
import { MultipartStore } from './multipart-store.js';
import { ObjectStore } from './object-store.js';
import { OssError, ossErrors } from './oss-error.js';
import type { VersioningStatus } from './object-store.js';
import type { RequestContext } from './request-context.js';
import { elementTexts } from './xml.js';

/**
 * A configured bucket: its objects and its in-progress uploads, under `<dataDir>/buckets/<name>/`
 * (`objects/`, `uploads/`; once versioning was set, `versioning.json` and `versions/`).
 */
export class Bucket {
  /** Which archived objects were asked to be restored; in memory, as the two below. */
  readonly restores = new ArchiveRestores();
  /** The lifecycle document as sent (OSS returns the rules it stored). No rule is applied. */
  lifecycle: string | undefined;
  /**
   * A locked retention policy (WORM): no object deleted or overwritten. Set by `POST /-/worm`, a
   * test's stand-in for InitiateBucketWorm + CompleteBucketWorm, which the emulator does not implement.
   */
  wormLocked = false;

  private constructor(
    readonly name: string,
    readonly objects: ObjectStore,
    readonly uploads: MultipartStore,
    private readonly dir: string,
  ) {}

  static async open(dataDir: string, name: string): Promise<Bucket> {
    const dir = join(dataDir, 'buckets', name);
    await mkdir(dir, { recursive: true });
    const objects = await ObjectStore.open(join(dir, 'objects'), join(dir, 'versions'));
    // No file: versioning was never set on this bucket.
    objects.versioning = (await readJson<{ status: VersioningStatus }>(join(dir, 'versioning.json')).catch(() => undefined))?.status;
    return new Bucket(name, objects, await MultipartStore.open(join(dir, 'uploads')), dir);
  }

  /** PutBucketVersioning: kept on disk, as the versions it governs are. */
  async setVersioning(status: VersioningStatus): Promise<void> {
    await writeJsonAtomic(join(this.dir, 'versioning.json'), { status });
    this.objects.versioning = status;
  }

  /**
   * OSS's answer to deleting or modifying an object under a locked retention policy: 409 FileImmutable
   * (its retention-policy guide; EC 0026-00000005 in its error-code reference, which also lists 0026-00000202).
   */
  refuseIfImmutable(key: string): void {
    if (!this.wormLocked || !this.objects.get(key)) return;
    throw new OssError(
      409,
      'FileImmutable',
      'This object is protected by the retention policy of its bucket and cannot be deleted or modified.',
      { Key: key, EC: '0026-00000005' },
    );
  }
}

/** OSS takes up to 1,000 rules; the document stays small. */
const MAX_LIFECYCLE_BODY = 256 * 1024;

/** Put/Get/DeleteBucketLifecycle: kept as Bucket.lifecycle, in memory (a restarted emulator has none). */
export async function putBucketLifecycle(ctx: RequestContext, bucket: Bucket): Promise<void> {
  const xml = (await readSmallBody(ctx, MAX_LIFECYCLE_BODY)).toString('utf8');
  const rules = elementTexts(xml, 'Rule');
  const statusOk = (rule: string): boolean => ['Enabled', 'Disabled'].includes(elementTexts(rule, 'Status')[0] ?? '');
  if (!/<LifecycleConfiguration>[\s\S]*<\/LifecycleConfiguration>/.test(xml) || rules.length === 0 || !rules.every(statusOk)) {
    throw ossErrors.malformedXml();
  }
  bucket.lifecycle = xml;
  ctx.sendEmpty(200);
}

export async function getBucketLifecycle(ctx: RequestContext, bucket: Bucket): Promise<void> {
  const xml = bucket.lifecycle;
  if (xml === undefined) throw new OssError(404, 'NoSuchLifecycle', 'No Row found in Lifecycle Table.');
  ctx.sendXmlText(200, xml);
}

export async function deleteBucketLifecycle(ctx: RequestContext, bucket: Bucket): Promise<void> {
  bucket.lifecycle = undefined;
  ctx.sendEmpty(204);
}

/** PutBucketVersioning: `PUT /?versioning`, VersioningConfiguration/Status Enabled or Suspended. */
export async function putBucketVersioning(ctx: RequestContext, bucket: Bucket): Promise<void> {
  const xml = (await readSmallBody(ctx, 64 * 1024)).toString('utf8');
  const status = elementTexts(xml, 'Status')[0]?.trim();
  if (!/<VersioningConfiguration>/.test(xml) || (status !== 'Enabled' && status !== 'Suspended')) throw ossErrors.malformedXml();
  await bucket.setVersioning(status);
  ctx.sendEmpty(200);
}

/** GetBucketVersioning: no Status until versioning was first set, as OSS answers. */
export async function getBucketVersioning(ctx: RequestContext, bucket: Bucket): Promise<void> {
  ctx.sendXml('VersioningConfiguration', { Status: bucket.objects.versioning });
}
