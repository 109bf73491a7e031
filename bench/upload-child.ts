/**
 * One benchmark contender (or the emulator) in its own process, so each has its own RSS and the
 * emulator its own core, as a real server would. Prints one JSON line when done.
 *
 *   node dist/bench/upload-child.js emulator <dataDir> <bucket>
 *   node dist/bench/upload-child.js <oss-sync|ali-oss-multipart|bare-put> <endpoint> <bucket> <key> <file> <partSize> <parallel> [stateDb]
 *   node dist/bench/upload-child.js delete <endpoint> <bucket> <key>
 *
 * oss-sync records its upload in a real state database (the daemon's SQLite journal), as in production.
 */
import { createReadStream, statSync } from 'node:fs';
import OSS from 'ali-oss';
import type { StateStore, FileRow } from '../src/store/index.js';

const BENCH_ACCESS_KEY_ID = 'bench-id';
const BENCH_ACCESS_KEY_SECRET = 'bench-secret';

export interface ContenderResult {
  ms: number;
  bytes: number;
  maxRssMiB: number;
  cpuSeconds: number;
}

async function runEmulator([dataDir, bucket]: string[]): Promise<void> {
  const { startEmulator } = await import('../src/emulator/index.js');
  const emulator = await startEmulator({
    dataDir: dataDir!,
    buckets: [bucket!],
    credentials: [{ accessKeyId: BENCH_ACCESS_KEY_ID, accessKeySecret: BENCH_ACCESS_KEY_SECRET }],
  });
  process.stdout.write(`${JSON.stringify({ endpoint: emulator.endpoint, adminToken: emulator.adminToken })}\n`);
  process.once('SIGTERM', () => void emulator.stop().then(() => process.exit(0)));
}

async function runContender(role: string, [endpoint, bucket, key, file, partSizeArg, parallelArg, stateDb]: string[]): Promise<void> {
  const partSize = Number(partSizeArg);
  const parallel = Number(parallelArg);
  const size = statSync(file!).size;
  const connection = { endpoint: endpoint!, accessKeyId: BENCH_ACCESS_KEY_ID, accessKeySecret: BENCH_ACCESS_KEY_SECRET };
  const client = new OSS({ ...connection, bucket, timeout: 600_000 } as OSS.Options);
  // Each contender's process loads what it runs, no more: how often V8 collects a process depends on
  // its heap, and the SDK's contenders with oss-sync's modules loaded paid ~40 mark-compacts a GiB
  // they never pay alone (bench/NOTES.md). oss-sync loads what `oss-sync run` has loaded.
  const ours = role === 'oss-sync' ? await loadOssSync() : undefined;
  // Like ali-oss's client, the daemon's state database is open before the clock starts: the daemon
  // opens it once at start-up and claims files in batches, so neither is part of uploading a file.
  const claimed = ours ? claimFile(ours.StateStore, stateDb!, { localPath: file!, bucket: bucket!, key: key! }) : undefined;
  const started = process.hrtime.bigint();
  if (ours && claimed) {
    const { FileUploader, withRetries, createOssStorage, Pacer, defaultRetryPolicy, storeJournal } = ours;
    const uploader = new FileUploader(withRetries(createOssStorage(connection), new Pacer(), defaultRetryPolicy()), {
      partSize,
      multipartThreshold: partSize,
      partConcurrency: parallel,
    });
    try {
      await (
        await uploader.upload({ localPath: file!, bucket: bucket!, key: key!, journal: storeJournal(claimed.store, claimed.row) })
      ).committed;
    } finally {
      claimed.store.close();
    }
  } else if (role === 'ali-oss-multipart') {
    // 0: the SDK's own default (1 MiB parts, 5 in parallel in ali-oss 6).
    await client.multipartUpload(key!, file!, { ...(partSize > 0 ? { partSize } : {}), ...(parallel > 0 ? { parallel } : {}) });
  } else if (role === 'bare-put') {
    await client.putStream(key!, createReadStream(file!, { highWaterMark: 512 * 1024 }), { contentLength: size } as OSS.PutStreamOptions);
  } else {
    throw new Error(`unknown role ${role}`);
  }
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const usage = process.resourceUsage();
  const cpuSeconds = (usage.userCPUTime + usage.systemCPUTime) / 1e6;
  const result: ContenderResult = { ms, bytes: size, maxRssMiB: usage.maxRSS / 1024, cpuSeconds };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

async function loadOssSync() {
  await import('../src/cli/run-command.js');
  return {
    ...(await import('../src/uploader/index.js')),
    ...(await import('../src/daemon/store-journal.js')),
    StateStore: (await import('../src/store/index.js')).StateStore,
  };
}

/**
 * The file as the daemon would handle it: observed into the queue and claimed, to be uploaded with the
 * store as its journal. Claimed again on the same database after a kill -9, it resumes the recorded upload.
 */
function claimFile(
  stores: typeof StateStore,
  stateDb: string,
  file: { localPath: string; bucket: string; key: string },
): { store: StateStore; row: FileRow } {
  const store = stores.open(stateDb);
  try {
    store.queue.resetInterrupted();
    const st = statSync(file.localPath, { bigint: true });
    store.queue.observe('bench', [
      { relPath: file.key, size: Number(st.size), mtimeNs: st.mtimeNs, ino: st.ino, dev: st.dev, bucket: file.bucket, key: file.key },
    ]);
    const [row] = store.queue.claimDue(1, { folders: ['bench'] });
    if (!row) throw new Error(`${file.key}: nothing to upload in ${stateDb}`);
    return { store, row };
  } catch (err) {
    store.close();
    throw err;
  }
}

/** Removes a contender's object once measured, so every run meets the emulator in the same state. */
async function deleteObject([endpoint, bucket, key]: string[]): Promise<void> {
  const client = new OSS({
    endpoint: endpoint!,
    accessKeyId: BENCH_ACCESS_KEY_ID,
    accessKeySecret: BENCH_ACCESS_KEY_SECRET,
    bucket,
  } as OSS.Options);
  await client.delete(key!);
  process.stdout.write(`${JSON.stringify({ deleted: key })}\n`);
}

const [role, ...args] = process.argv.slice(2);
if (role === 'emulator') await runEmulator(args);
else if (role === 'delete') await deleteObject(args);
else await runContender(role!, args);
