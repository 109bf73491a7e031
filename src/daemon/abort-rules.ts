import type { FolderConfig } from '../config/index.js';
import type { LifecycleRule, ObjectStorage } from '../uploader/index.js';

/** Our rules are told from a bucket's other rules by this ID prefix. */
export const ABORT_RULE_PREFIX = 'oss-sync-abort-incomplete-';

/**
 * OSS's own clean-up for when oss-sync is gone: one lifecycle rule per folder prefix that aborts
 * multipart uploads left incomplete for `days`. Such an upload is aborted even if a state database
 * could still resume it (the file is then sent again from its start), so `days` must be longer than
 * any pause the daemon may take: longer than cleanup_older_than, and than a machine stays off.
 */
export function abortRules(folders: readonly FolderConfig[], days: number): Map<string, LifecycleRule[]> {
  const byBucket = new Map<string, LifecycleRule[]>();
  for (const folder of folders) {
    const rules = byBucket.get(folder.bucket) ?? [];
    rules.push({ id: `${ABORT_RULE_PREFIX}${folder.name}`, prefix: folder.prefix, enabled: true, abortMultipartUploadDays: days });
    byBucket.set(folder.bucket, rules);
  }
  return byBucket;
}

/** The rules as OSS's PutBucketLifecycle body would carry them, for an operator to read or apply by hand. */
export function abortRulesXml(rules: readonly LifecycleRule[]): string {
  const escape = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const body = rules
    .map(
      (r) =>
        `  <Rule>\n    <ID>${escape(r.id)}</ID>\n    <Prefix>${escape(r.prefix)}</Prefix>\n    <Status>Enabled</Status>\n` +
        `    <AbortMultipartUpload>\n      <Days>${r.abortMultipartUploadDays}</Days>\n    </AbortMultipartUpload>\n  </Rule>`,
    )
    .join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<LifecycleConfiguration>\n${body}\n</LifecycleConfiguration>\n`;
}

/**
 * Sets the bucket's lifecycle to our rules. PutBucketLifecycle replaces the whole configuration, and
 * rules not ours must never be rewritten by us: a bucket that holds any is refused, named, and left as it is.
 */
export async function applyAbortRules(storage: ObjectStorage, bucket: string, rules: readonly LifecycleRule[]): Promise<void> {
  const others = (await storage.getLifecycleRules(bucket)).filter((r) => !r.id.startsWith(ABORT_RULE_PREFIX));
  if (others.length > 0) {
    throw new Error(
      `bucket ${bucket} has ${others.length} lifecycle rule(s) of its own (${others.map((r) => r.id || '(no ID)').join(', ')}): ` +
        'not replaced; add the rules printed by --lifecycle-rule to them with the OSS console or ossutil',
    );
  }
  await storage.putLifecycleRules(bucket, rules);
}
