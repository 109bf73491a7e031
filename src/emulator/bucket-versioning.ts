import { readSmallBody } from './body-reader.js';
import type { Bucket } from './bucket.js';
import { ossErrors } from './oss-error.js';
import type { RequestContext } from './request-context.js';
import { sendEmpty, sendXml } from './responses.js';
import { elementTexts } from './xml.js';

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
