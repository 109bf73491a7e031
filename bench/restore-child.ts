/**
 * One restore contender in a process of its own, as a real restore runs: its heap holds only
 * what it loads (the bench's own set-up, 100,000 files and their rows, grew the heap both contenders
 * shared, and V8's mark-compacts cost each of them differently: bench/NOTES.md). Prints one JSON
 * line, the wall time and the CPU of this process around the restore alone (after its modules, its
 * client and, for oss-sync, its state database are ready, as a daemon or a script has them).
 *
 *   OSS_SECRET=... node dist/bench/restore-child.js <oss-sync|ali-get|bare|ali-loop> ENDPOINT BUCKET ACCESS_KEY_ID KEY TO_DIR PART_SIZE PARALLEL [FILES]
 *
 * oss-sync restores KEY's prefix (all of it: for 'small/', every small object, listed as a restore
 * lists); ali-loop gets FILES objects named KEYf0.dat.. (the names bench/restore.ts put; it lists
 * nothing), PARALLEL at once, each to a file; ali-get and bare fetch the one object KEY.
 */
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import OSS from 'ali-oss';

const [role, endpoint, bucket, accessKeyId, key, toDir, partSize, parallel, files] = process.argv.slice(2);
const accessKeySecret = process.env.OSS_SECRET!;
let restore: () => Promise<unknown>;
if (role === 'oss-sync') {
  // What `oss-sync restore` loads and sets: the config reader too (it reads the config file first).
  const { DEFAULTS } = await import('../src/config/index.js');
  (await import('../src/cli/restore-command.js')).preferGcThroughput();
  const { runRestore } = await import('../src/daemon/restore/restore-run.js');
  const { StateStore } = await import('../src/store/index.js');
  const { createOssStorage, withRetries, defaultRetryPolicy, Pacer, MemoryBudget } = await import('../src/uploader/index.js');
  const store = StateStore.open(join(toDir!, '.state.db'));
  const storage = withRetries(
    createOssStorage({
      endpoint: endpoint!,
      accessKeyId: accessKeyId!,
      accessKeySecret,
      maxSockets: Number(parallel) + 32,
    }), // a socket for each request in flight, as the CLI's client keeps
    new Pacer(),
    defaultRetryPolicy(),
  );
  restore = async () => {
    const summary = await runRestore({
      storage,
      progress: store.restores,
      bucket: bucket!,
      prefix: key!.slice(0, key!.lastIndexOf('/') + 1),
      toDir: join(toDir!, 'out'),
      patterns: [],
      overwrite: false,
      dryRun: false,
      filesInParallel: Number(parallel),
      smallFilesInParallel: Number(parallel),
      memory: new MemoryBudget(DEFAULTS.concurrency.memoryBytes), // as the CLI pays from concurrency.memory
      download: { partSize: Number(partSize), rangedThreshold: Number(partSize), partsInParallel: Number(parallel), attempts: 3 },
    });
    if (summary.entries.some((e) => e.action !== 'restored')) throw new Error(`restore: ${JSON.stringify(summary.entries)}`);
  };
} else {
  const client = new OSS({ endpoint, bucket, accessKeyId: accessKeyId!, accessKeySecret } as OSS.Options);
  const target = join(toDir!, 'big.bin');
  restore =
    role === 'ali-get'
      ? () => client.get(key!, target, { timeout: 3_600_000 })
      : role === 'ali-loop'
        ? async () => {
            let i = 0;
            await Promise.all(
              Array.from({ length: Number(parallel) }, async () => {
                while (i < Number(files)) {
                  const n = i++;
                  await client.get(`${key!}f${n}.dat`, join(toDir!, `f${n}.dat`));
                }
              }),
            );
          }
        : async () => {
            const { stream } = await client.getStream(key!, { timeout: 3_600_000 });
            await pipeline(stream, createWriteStream(target));
          };
}
const cpu = process.cpuUsage();
const started = performance.now();
await restore();
const ms = performance.now() - started;
const used = process.cpuUsage(cpu);
process.stdout.write(`${JSON.stringify({ ms, cpuSeconds: (used.user + used.system) / 1e6, systemSeconds: used.system / 1e6 })}\n`);
