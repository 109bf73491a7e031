import { readSmallBody } from './body-reader.js';
import type { Bucket } from './bucket.js';
import { OssError, ossErrors } from './oss-error.js';
import type { RequestContext } from './request-context.js';
import { baseHeaders, sendEmpty } from './responses.js';
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
  const body = Buffer.from(xml);
  ctx.res.writeHead(200, { ...baseHeaders(ctx), 'content-type': 'application/xml', 'content-length': body.length });
  ctx.res.end(body);
}

export async function deleteBucketLifecycle(ctx: RequestContext, bucket: Bucket): Promise<void> {
  bucket.lifecycle = undefined;
  sendEmpty(ctx, 204);
}
