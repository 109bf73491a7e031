/**
 * Bandwidth limit benchmark (issue 16): oss-sync's shared limiter over every request body, with
 * several files and parts in flight at once, against the emulator. For each limit, uploads run for
 * DURATION seconds; reported: the observed rate (bytes handed to the HTTP requests, and bytes the
 * emulator received in requests that completed) against the limit (target within 10%), and the
 * largest amount sent in any one-second window (target: at most 1.1 s of the rate: one second's
 * worth, the limiter's 25 ms bucket, a piece in flight and timer lag; a bucket one second deep would
 * let up to two seconds' worth out in one second after a pause, kopia#2665).
 *
 *   node dist/bench/bandwidth.js [--quick]
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { startEmulator } from '../src/emulator/index.js';
import {
  BandwidthLimiter,
  createOssStorage,
  defaultRetryPolicy,
  Pacer,
  FileUploader,
  UploadGate,
  withLimits,
  withRetries,
} from '../src/uploader/index.js';
import type { RecordedUpload, UploadJournal } from '../src/uploader/index.js';
import { emulatorDataDir } from './emulator-data-dir.js';
import { fixed, table, verdict } from './markdown.js';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false } }, allowPositionals: true });
const DURATION_MS = values.quick ? 10_000 : 30_000;
const MiB = 2 ** 20;
const LIMITS = [1 * MiB, 4 * MiB];
const FILES_AT_ONCE = 3;
const PARTS_PER_FILE = 4;
const FILE_BYTES = 24 * MiB;
const PART_BYTES = 2 * MiB;

/** Records when each piece of body left the limiter (the bytes then go to the socket). */
class MeteredLimiter extends BandwidthLimiter {
  readonly sent: Array<{ at: number; bytes: number }> = [];
  override async take(bytes: number, signal?: AbortSignal): Promise<void> {
    await super.take(bytes, signal);
    this.sent.push({ at: performance.now(), bytes });
  }
}

/** Nothing to resume in a benchmark: every upload starts anew. */
const journal = (): UploadJournal => ({
  recordedUpload: (): RecordedUpload | undefined => undefined,
  uploadStarted: () => undefined,
  partAcknowledged: () => undefined,
  uploadAbandoned: () => undefined,
  fileUploaded: () => undefined,
  objectReplacing: () => undefined,
});

/** The most bytes sent within any window of `windowMs` (sliding, over the send events). */
function largestWindow(sent: ReadonlyArray<{ at: number; bytes: number }>, windowMs: number): number {
  let best = 0;
  let sum = 0;
  let first = 0;
  for (const event of sent) {
    sum += event.bytes;
    while (sent[first]!.at <= event.at - windowMs) sum -= sent[first++]!.bytes;
    best = Math.max(best, sum);
  }
  return best;
}

const work = mkdtempSync(join(tmpdir(), 'oss-sync-bench-bandwidth-'));
const data = emulatorDataDir(work);
const credentials = { accessKeyId: 'bench-id', accessKeySecret: 'bench-secret-value-0123456789' };
const emulator = await startEmulator({ dataDir: data.dir, buckets: ['bench'], credentials: [credentials] });
const rows: Array<Array<string | number>> = [];
let allPass = true;
try {
  const file = join(work, 'input.bin');
  writeFileSync(file, randomBytes(FILE_BYTES));
  for (const limit of LIMITS) {
    const limiter = new MeteredLimiter(limit);
    const storage = withLimits(
      withRetries(createOssStorage({ endpoint: emulator.endpoint, ...credentials }), new Pacer(), defaultRetryPolicy()),
      {
        gate: new UploadGate(),
        limiter,
        bodySlots: FILES_AT_ONCE * PARTS_PER_FILE,
      },
    );
    const uploader = new FileUploader(storage, { partSize: PART_BYTES, multipartThreshold: PART_BYTES, partConcurrency: PARTS_PER_FILE });
    emulator.requestLog.clear();
    const stop = new AbortController();
    const started = performance.now();
    let n = 0;
    const lane = async (): Promise<void> => {
      while (!stop.signal.aborted) {
        await uploader
          .upload({ localPath: file, bucket: 'bench', key: `f${limit}-${n++}`, journal: journal(), signal: stop.signal })
          .catch((err: unknown) => {
            if (!stop.signal.aborted) throw err;
          });
      }
    };
    const timer = setTimeout(() => stop.abort(), DURATION_MS);
    process.stderr.write(`[bandwidth] limit ${limit / MiB} MiB/s for ${DURATION_MS / 1000} s\n`);
    await Promise.all(Array.from({ length: FILES_AT_ONCE }, lane));
    clearTimeout(timer);
    const elapsedMs = performance.now() - started;
    const inWindow = limiter.sent.filter((e) => e.at - started <= DURATION_MS);
    const sentBytes = inWindow.reduce((s, e) => s + e.bytes, 0);
    const observed = sentBytes / (DURATION_MS / 1000);
    const received = emulator.requestLog.entries().filter((e) => e.status === 200 && e.operation === 'UploadPart');
    const receivedRate = received.reduce((s, e) => s + e.bytesReceived, 0) / (elapsedMs / 1000);
    const burst = largestWindow(inWindow, 1000);
    const rateOk = Math.abs(observed / limit - 1) <= 0.1;
    const burstOk = burst <= limit * 1.1;
    allPass &&= rateOk && burstOk;
    rows.push([
      `${limit / MiB} MiB/s`,
      `${FILES_AT_ONCE} x ${PARTS_PER_FILE}`,
      `${fixed(observed / MiB, 3)} MiB/s`,
      `${fixed((observed / limit - 1) * 100, 1)} %`,
      `${fixed(receivedRate / MiB, 3)} MiB/s`,
      `${fixed(burst / MiB, 3)} MiB (${fixed(burst / limit, 3)} s of rate)`,
      `rate ±10% ${verdict(rateOk)}; burst <= 1.1 s of rate ${verdict(burstOk)}`,
    ]);
  }
} finally {
  await emulator.stop();
  rmSync(work, { recursive: true, force: true });
  if (data.onTmpfs) rmSync(data.dir, { recursive: true, force: true });
}

process.stdout.write(
  [
    '## Bandwidth limit (`bench/bandwidth.ts`)',
    '',
    `One limiter shared by ${FILES_AT_ONCE} files x ${PARTS_PER_FILE} parts in flight (parts of ${PART_BYTES / MiB} MiB, files of ${FILE_BYTES / MiB} MiB, uploaded over and over), ` +
      `real ali-oss client, emulator in this process; ${DURATION_MS / 1000} s per limit. "sent" counts body bytes as the limiter hands them to the requests; ` +
      '"received" is what the emulator got in completed UploadPart requests over the run (parts cut off at the end are not counted, so it reads low). ' +
      'Largest burst: the most bytes sent in any sliding one-second window (the limiter credits at most 25 ms of idle time).',
    '',
    table(['limit', 'in flight', 'sent (observed rate)', 'vs. limit', 'received', 'largest 1 s burst', 'targets'], rows),
    '',
  ].join('\n'),
);
process.exitCode = allPass ? 0 : 1;
