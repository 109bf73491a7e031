import { readSmallBody } from './body-reader.js';
import type { Bucket } from './bucket.js';
import { OssError, ossErrors } from './oss-error.js';
import type { RequestContext } from './request-context.js';
import { sendEmpty, sendXml, sendXmlText } from './responses.js';
import { elementTexts } from './xml.js';

/** OSS takes up to 1,000 rules; the document stays small. */
const MAX_LIFECYCLE_BODY = 256 * 1024;

/** Put/Get/DeleteBucketLifecycle: kept as Bucket.lifecycle, in memory (a restarted emulator has none). */
export async function putBucketLifecycle(ctx: RequestContext, bucket: Bucket): Promise<void> {
  const xml = (await readSmallBody(ctx, MAX_LIFECYCLE_BODY)).toString('utf8');
  if (!/<LifecycleConfiguration>[\s\S]*<\/LifecycleConfiguration>/.test(xml) || elementTexts(xml, 'Rule').length === 0) {
    throw ossErrors.malformedXml();
  }
  for (const rule of elementTexts(xml, 'Rule')) {
    const status = elementTexts(rule, 'Status')[0];
    if (status !== 'Enabled' && status !== 'Disabled') throw ossErrors.malformedXml();
  }
  bucket.lifecycle = xml;
  sendEmpty(ctx, 200);
}

export async function getBucketLifecycle(ctx: RequestContext, bucket: Bucket): Promise<void> {
  const xml = bucket.lifecycle;
  if (xml === undefined) throw new OssError(404, 'NoSuchLifecycle', 'No Row found in Lifecycle Table.');
  sendXmlText(ctx, 200, xml);
}

export async function deleteBucketLifecycle(ctx: RequestContext, bucket: Bucket): Promise<void> {
  bucket.lifecycle = undefined;
  sendEmpty(ctx, 204);
}

/** PutBucketVersioning: `PUT /?versioning`, VersioningConfiguration/Status Enabled or Suspended. */
export async function putBucketVersioning(ctx: RequestContext, bucket: Bucket): Promise<void> {
  const xml = (await readSmallBody(ctx, 64 * 1024)).toString('utf8');
  const status = elementTexts(xml, 'Status')[0]?.trim();
  if (!/<VersioningConfiguration>/.test(xml) || (status !== 'Enabled' && status !== 'Suspended')) throw ossErrors.malformedXml();
  await bucket.setVersioning(status);
  sendEmpty(ctx, 200);
}

/** GetBucketVersioning: no Status until versioning was first set, as OSS answers. */
export async function getBucketVersioning(ctx: RequestContext, bucket: Bucket): Promise<void> {
  sendXml(ctx, 200, 'VersioningConfiguration', [['Status', bucket.objects.versioning]]);
}
