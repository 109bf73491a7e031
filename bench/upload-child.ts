/**
 * One benchmark contender (or the emulator) in its own process, so each has its own RSS and the
 * emulator its own core, as a real server would. Prints one JSON line when done.
 *
 *   node dist/bench/upload-child.js emulator <dataDir> <bucket>
 *   node dist/bench/upload-child.js <oss-sync|ali-oss-multipart|bare-put> <endpoint> <bucket> <key> <file> <partSize> <parallel> [journal]
 */
import { createReadStream, statSync } from 'node:fs';
import OSS from 'ali-oss';
import { startEmulator } from '../src/emulator/index.js';
import { FileUploader, createOssStorage, defaultRetryPolicy, withRetries } from '../src/uploader/index.js';
import { FileJournal } from './file-journal.js';

const BENCH_ACCESS_KEY_ID = 'bench-id';
const BENCH_ACCESS_KEY_SECRET = 'bench-secret';

export interface ContenderResult {
  ms: number;
  bytes: number;
  maxRssMiB: number;
  cpuSeconds: number;
}

async function runEmulator([dataDir, bucket]: string[]): Promise<void> {
  const emulator = await startEmulator({
    dataDir: dataDir!,
    buckets: [bucket!],
    credentials: [{ accessKeyId: BENCH_ACCESS_KEY_ID, accessKeySecret: BENCH_ACCESS_KEY_SECRET }],
  });
  process.stdout.write(`${JSON.stringify({ endpoint: emulator.endpoint })}\n`);
  process.once('SIGTERM', () => void emulator.stop().then(() => process.exit(0)));
}

async function runContender(role: string, [endpoint, bucket, key, file, partSizeArg, parallelArg, journalPath]: string[]): Promise<void> {
  const partSize = Number(partSizeArg);
  const parallel = Number(parallelArg);
  const size = statSync(file!).size;
  const connection = { endpoint: endpoint!, accessKeyId: BENCH_ACCESS_KEY_ID, accessKeySecret: BENCH_ACCESS_KEY_SECRET };
  const client = new OSS({ ...connection, bucket, timeout: 600_000 } as OSS.Options);
  const started = process.hrtime.bigint();
  if (role === 'oss-sync') {
    const uploader = new FileUploader(withRetries(createOssStorage(connection), defaultRetryPolicy()), {
      partSize,
      multipartThreshold: partSize,
      partConcurrency: parallel,
    });
    await uploader.upload({ localPath: file!, bucket: bucket!, key: key!, journal: new FileJournal(journalPath!) });
  } else if (role === 'ali-oss-multipart') {
    await client.multipartUpload(key!, file!, { partSize, parallel });
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

const [role, ...args] = process.argv.slice(2);
if (role === 'emulator') await runEmulator(args);
else await runContender(role!, args);
