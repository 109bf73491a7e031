/**
 * The small-file baseline: a plain loop of ali-oss `client.put(key, localPath)` over every file of a
 * tree, `concurrency` at a time, in its own process. Prints one JSON line: {"files": n, "ms": t}.
 *
 *   node dist/bench/put-loop.js ENDPOINT BUCKET ACCESS_KEY_ID ACCESS_KEY_SECRET ROOT PREFIX CONCURRENCY
 */
import OSS from 'ali-oss';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';

const args = process.argv.slice(2);
if (args.length !== 7) {
  process.stderr.write('usage: put-loop.js ENDPOINT BUCKET ACCESS_KEY_ID ACCESS_KEY_SECRET ROOT PREFIX CONCURRENCY\n');
  process.exit(2);
}
const [endpoint, bucket, accessKeyId, accessKeySecret, root, prefix, concurrency] = args as [
  string,
  string,
  string,
  string,
  string,
  string,
  string,
];

const started = performance.now();
const client = new OSS({ endpoint, bucket, accessKeyId, accessKeySecret } as OSS.Options);
const files = readdirSync(root, { recursive: true, withFileTypes: true })
  .filter((e) => e.isFile())
  .map((e) => join(e.parentPath, e.name));
let next = 0;

async function worker(): Promise<void> {
  while (next < files.length) {
    const path = files[next++]!;
    await client.put(prefix + relative(root, path), path);
  }
}

await Promise.all(Array.from({ length: Number(concurrency) }, () => worker()));
process.stdout.write(`${JSON.stringify({ files: files.length, ms: performance.now() - started })}\n`);
