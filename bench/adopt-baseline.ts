/**
 * Adoption's baseline work as a whole process of its own: start node, load ali-oss, list the prefix
 * (ListObjectsV2, 1,000 keys a page, the stock SDK's `listV2`) and read every file of the tree once
 * for its CRC-64, then exit. `oss-sync once` is a whole process too, so this is its like-for-like
 * comparison; bench/server-side.ts also times the same two passes warm, inside its own process.
 *
 *   OSS_SECRET=... node dist/bench/adopt-baseline.js ENDPOINT BUCKET PREFIX ROOT ACCESS_KEY_ID (the secret by environment, not argv)
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import OSS from 'ali-oss';
import { Crc64 } from '../src/lib/crc64.js';

/** Reads every file of the tree once for its CRC-64. */
export function crcPass(root: string): void {
  for (const entry of readdirSync(root, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    new Crc64().update(readFileSync(join(entry.parentPath, entry.name))).digest();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [endpoint, bucket, prefix, root, accessKeyId] = process.argv.slice(2);
  const client = new OSS({ endpoint, bucket, accessKeyId: accessKeyId!, accessKeySecret: process.env.OSS_SECRET! } as OSS.Options);
  let listed = 0;
  let token: string | undefined;
  do {
    const page = (await client.listV2(
      { prefix, 'max-keys': '1000', ...(token ? { 'continuation-token': token } : {}) },
      {},
    )) as unknown as {
      objects?: unknown[];
      nextContinuationToken?: string;
      isTruncated: boolean;
    };
    listed += page.objects?.length ?? 0;
    token = page.isTruncated ? page.nextContinuationToken : undefined;
  } while (token);
  crcPass(root!);
  process.stdout.write(`${listed}\n`);
}
