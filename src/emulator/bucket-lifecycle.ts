import { readSmallBody } from './body-reader.js';
import type { Bucket } from './bucket.js';
import { OssError, ossErrors } from './oss-error.js';
import type { RequestContext } from './request-context.js';
import { baseHeaders, sendEmpty } from './responses.js';
import { elementTexts } from './xml.js';

/** OSS takes up to 1,000 rules; the document stays small. */
const MAX_LIFECYCLE_BODY = 256 * 1024;

/**
 * Put/Get/DeleteBucketLifecycle: the bucket's lifecycle document, kept as it was sent (OSS returns
 * the rules it stored). The emulator applies no rule: nothing here expires objects or aborts uploads.
 * Kept in memory, per bucket: a restarted emulator has none.
 */
const BY_BUCKET = new WeakMap<Bucket, string>();

export async function putBucketLifecycle(ctx: RequestContext, bucket: Bucket): Promise<void> {
  const xml = (await readSmallBody(ctx, MAX_LIFECYCLE_BODY)).toString('utf8');
  if (!/<LifecycleConfiguration>[\s\S]*<\/LifecycleConfiguration>/.test(xml) || elementTexts(xml, 'Rule').length === 0) {
    throw ossErrors.malformedXml();
  }
  for (const rule of elementTexts(xml, 'Rule')) {
    const status = elementTexts(rule, 'Status')[0];
    if (status !== 'Enabled' && status !== 'Disabled') throw ossErrors.malformedXml();
  }
  BY_BUCKET.set(bucket, xml);
  sendEmpty(ctx, 200);
}

export async function getBucketLifecycle(ctx: RequestContext, bucket: Bucket): Promise<void> {
  const xml = BY_BUCKET.get(bucket);
  if (xml === undefined) throw new OssError(404, 'NoSuchLifecycle', 'No Row found in Lifecycle Table.');
  const body = Buffer.from(xml);
  ctx.res.writeHead(200, { ...baseHeaders(ctx), 'content-type': 'application/xml', 'content-length': body.length });
  ctx.res.end(body);
}

export async function deleteBucketLifecycle(ctx: RequestContext, bucket: Bucket): Promise<void> {
  BY_BUCKET.delete(bucket);
  sendEmpty(ctx, 204);
}
