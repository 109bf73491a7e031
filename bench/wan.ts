/**
 * The WAN profile (issue 18): what a real link to OSS costs that loopback hides. The emulator (its own
 * process) answers every request `--latency-ms` late and reads every request body at most
 * `--throttle-mib` MiB/s (a latency and a throttle fault on every request; HTTP/1.1 sends one request
 * at a time on a connection, so the throttle is a per-connection cap). oss-sync runs as `oss-sync once`
 * with every concurrency setting at its default; the baselines are an ali-oss `put` loop at
 * concurrency 4 (the peers' default) and ali-oss `multipartUpload()` with its default part size and
 * parallelism. The same oss-sync runs on loopback (no faults) first, for the rate the machine allows.
 * Then the small files come back down the same link: `oss-sync restore` with its defaults against an
 * ali-oss `get()` loop at concurrency 4, and against their own backup's rate (restic#1619: a restore
 * should be as fast as the backup). Prints a markdown section.
 *
 *   npm run build && node dist/bench/wan.js [--quick] [--small-files N] [--size-mib N] [--latency-ms 30] [--throttle-mib 8]
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import OSS from 'ali-oss';
import type { FaultRule } from '../src/emulator/index.js';
import { DEFAULTS } from '../src/config/index.js';
import { BenchChild, killAllChildren } from './child-process.js';
import {
  ACCESS_KEY_ID,
  ACCESS_KEY_SECRET,
  BUCKET,
  FOLDER_NAME,
  makeTree,
  ossSync,
  startEmulatorProcess,
  writeConfig,
  writeRandomFile,
  type EmulatorProcess,
} from './daemon-fixture.js';
import { emulatorDataDir } from './emulator-data-dir.js';
import { fixed, ratio, table, verdict } from './markdown.js';

const PUT_LOOP = new URL('./put-loop.js', import.meta.url).pathname;
const KiB = 1024;
const MiB = 1024 * KiB;
const MINUTE = 60_000;

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    'small-files': { type: 'string' },
    'size-mib': { type: 'string' },
    'latency-ms': { type: 'string', default: '30' },
    'throttle-mib': { type: 'string', default: '8' },
  },
});
const smallFiles = Number(values['small-files'] ?? (values.quick ? 2_000 : 10_000));
const sizeMiB = Number(values['size-mib'] ?? (values.quick ? 256 : 1024));
const latencyMs = Number(values['latency-ms']);
const throttle = Number(values['throttle-mib']) * MiB;
const PUT_LOOP_CONCURRENCY = 4;
const { smallFiles: smallInFlight, partsPerFile, memoryBytes } = DEFAULTS.concurrency;

const work = mkdtempSync(join(tmpdir(), 'oss-sync-bench-wan-'));
const { dir: emulatorRoot, onTmpfs } = emulatorDataDir(work);
let emu: EmulatorProcess;
/** Where restores write: tmpfs beside the emulator's objects when there is one (creating files on this VM's disk is dear). */
const restoredRoot = onTmpfs ? mkdtempSync('/dev/shm/oss-sync-bench-wan-restored-') : join(work, 'restored');

interface Run {
  ms: number;
  peakRssMB: number;
}

/** `oss-sync once` over `folder` with default settings (the settle window off: the files were just written). */
async function ours(name: string, folder: string): Promise<Run> {
  const cfg = join(work, `${name}.yaml`);
  writeConfig(cfg, { endpoint: emu.endpoint, stateDb: join(work, `${name}.db`), folder, prefix: `${name}/`, settle: '0s' });
  const child = ossSync('once', cfg);
  const exit = await child.expectSuccess(30 * MINUTE);
  return { ms: exit.ms, peakRssMB: child.peakRssMB() };
}

/** `oss-sync restore` (defaults) of what ours(name) uploaded, into a fresh directory: process start to exit. */
async function oursRestore(name: string): Promise<number> {
  const to = join(restoredRoot, name);
  const child = ossSync('restore', join(work, `${name}.yaml`), {}, ['--folder', FOLDER_NAME, '--to', to]);
  const { ms } = await child.expectSuccess(30 * MINUTE);
  return ms;
}

function client(): OSS {
  return new OSS({
    endpoint: emu.endpoint,
    accessKeyId: ACCESS_KEY_ID,
    accessKeySecret: ACCESS_KEY_SECRET,
    bucket: BUCKET,
    timeout: 600_000,
  } as OSS.Options);
}

/** An ali-oss get() loop at PUT_LOOP_CONCURRENCY over the objects under `prefix`, each to a file; the names listed first, untimed. */
async function getLoop(prefix: string): Promise<number> {
  const oss = client();
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await oss.listV2({ prefix, 'max-keys': '1000', ...(token ? { 'continuation-token': token } : {}) }, {});
    for (const object of page.objects ?? []) keys.push(object.name);
    token = page.isTruncated ? page.nextContinuationToken : undefined;
  } while (token);
  const to = join(restoredRoot, 'get-loop');
  mkdirSync(to, { recursive: true });
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: PUT_LOOP_CONCURRENCY }, async () => {
      while (next < keys.length) {
        const n = next++;
        await oss.get(keys[n]!, join(to, `f${n}`));
      }
    }),
  );
  const ms = performance.now() - started;
  if (readdirSync(to).length !== keys.length) throw new Error('get loop: files missing');
  return ms;
}

async function putLoop(root: string): Promise<number> {
  const args = [PUT_LOOP, emu.endpoint, BUCKET, ACCESS_KEY_ID, ACCESS_KEY_SECRET, root, 'put-loop/', String(PUT_LOOP_CONCURRENCY)];
  return (await new BenchChild('put loop', args).expectSuccess(30 * MINUTE)).ms;
}

/** ali-oss multipartUpload() with its own defaults (1 MiB parts, 5 in parallel), in this process. */
async function aliOssMultipart(file: string): Promise<number> {
  const started = performance.now();
  await client().multipartUpload('ali-oss-multipart.bin', file, {});
  return performance.now() - started;
}

async function main(): Promise<void> {
  emu = await startEmulatorProcess(emulatorRoot);
  const smallRoot = join(work, 'small');
  makeTree(smallRoot, smallFiles, Math.max(1, Math.round(smallFiles / 100)), 4 * KiB);
  const largeRoot = join(work, 'large');
  mkdirSync(largeRoot);
  const largeFile = join(largeRoot, 'payload.bin');
  writeRandomFile(largeFile, sizeMiB * MiB);

  // The small-file ratio is of two runs of the same client, with and without the faults: they
  // alternate, three of each, so that the machine's load drifting between them is not the ratio.
  const wanFaults: FaultRule[] = [
    { times: Infinity, action: { type: 'latency', ms: latencyMs } },
    { times: Infinity, action: { type: 'throttle', bytesPerSecond: throttle } },
  ];
  const smallRuns: Record<'loopback' | 'wan', Run[]> = { loopback: [], wan: [] };
  for (let i = 0; i < 3; i++) {
    for (const mode of i % 2 === 0 ? (['loopback', 'wan'] as const) : (['wan', 'loopback'] as const)) {
      process.stderr.write(`[wan] small files, ${mode}, run ${i + 1}/3...\n`);
      if (mode === 'wan') await emu.addFaults(wanFaults);
      smallRuns[mode].push(await ours(`small-${mode}-${i}`, smallRoot));
      if (mode === 'wan') await emu.clearFaults();
    }
  }
  const medianRun = (runs: Run[]): Run => [...runs].sort((a, b) => a.ms - b.ms)[1]!;
  const smallLoopback = medianRun(smallRuns.loopback);
  const smallWan = medianRun(smallRuns.wan);
  const largeLoopback = await ours('large-loopback', largeRoot);

  await emu.addFaults(wanFaults);
  process.stderr.write('[wan] small files: put loop...\n');
  const putLoopMs = await putLoop(smallRoot);
  process.stderr.write('[wan] large file: ali-oss multipartUpload...\n');
  const aliMs = await aliOssMultipart(largeFile);
  process.stderr.write('[wan] large file: oss-sync...\n');
  const largeWan = await ours('large-wan', largeRoot);
  // The first WAN run's objects, restored over the same link.
  process.stderr.write('[wan] small files: oss-sync restore...\n');
  const restoreMs = await oursRestore('small-wan-0');
  process.stderr.write('[wan] small files: get loop...\n');
  const getLoopMs = await getLoop('small-wan-0/');

  const filesPerSecond = (ms: number): number => smallFiles / (ms / 1000);
  const mibPerSecond = (ms: number): number => sizeMiB / (ms / 1000);
  const smallIdeal = Math.min(smallInFlight / (latencyMs / 1000), filesPerSecond(smallLoopback.ms));
  const largeIdeal = Math.min((partsPerFile * throttle) / MiB, mibPerSecond(largeLoopback.ms));
  const vsPutLoop = putLoopMs / smallWan.ms;
  const vsSmallIdeal = filesPerSecond(smallWan.ms) / smallIdeal;
  const vsAli = aliMs / largeWan.ms;
  const vsGetLoop = getLoopMs / restoreMs;
  const vsBackup = smallWan.ms / restoreMs;
  const vsLargeIdeal = mibPerSecond(largeWan.ms) / largeIdeal;
  const budgetMB = memoryBytes / 1e6;
  const peak = Math.max(smallWan.peakRssMB, largeWan.peakRssMB);
  const rows = [
    [
      `${smallFiles.toLocaleString('en')} files of 4 KiB`,
      `${fixed(filesPerSecond(smallWan.ms), 0)} files/s`,
      `ali-oss \`put\` loop, concurrency ${PUT_LOOP_CONCURRENCY}: ${fixed(filesPerSecond(putLoopMs), 0)} files/s`,
      ratio(vsPutLoop),
      `>= 5x ${verdict(vsPutLoop >= 5)}`,
    ],
    [
      '',
      '',
      `ideal: min(${smallInFlight} in flight / ${latencyMs} ms, loopback ${fixed(filesPerSecond(smallLoopback.ms), 0)}) = ${fixed(smallIdeal, 0)} files/s`,
      ratio(vsSmallIdeal),
      `>= 0.8x ${verdict(vsSmallIdeal >= 0.8)}`,
    ],
    [
      `one ${sizeMiB} MiB file`,
      `${fixed(mibPerSecond(largeWan.ms))} MiB/s`,
      `ali-oss \`multipartUpload()\`, its defaults: ${fixed(mibPerSecond(aliMs))} MiB/s`,
      ratio(vsAli),
      `>= 1.5x ${verdict(vsAli >= 1.5)}`,
    ],
    [
      '',
      '',
      `ideal: min(${partsPerFile} connections x ${throttle / MiB} MiB/s, loopback ${fixed(mibPerSecond(largeLoopback.ms))}) = ${fixed(largeIdeal)} MiB/s`,
      ratio(vsLargeIdeal),
      `>= 0.8x ${verdict(vsLargeIdeal >= 0.8)}`,
    ],
    [
      `restore of those ${smallFiles.toLocaleString('en')} files (\`oss-sync restore\`, defaults)`,
      `${fixed(filesPerSecond(restoreMs), 0)} files/s`,
      `ali-oss \`get()\` loop, concurrency ${PUT_LOOP_CONCURRENCY}: ${fixed(filesPerSecond(getLoopMs), 0)} files/s`,
      ratio(vsGetLoop),
      'n/a',
    ],
    ['', '', `their backup over the same link (above): ${fixed(filesPerSecond(smallWan.ms), 0)} files/s`, ratio(vsBackup), 'n/a'],
    ['peak RSS', `${fixed(peak, 0)} MB`, `concurrency.memory ${fixed(budgetMB, 0)} MB`, '-', `within ${verdict(peak <= budgetMB)}`],
  ];
  console.log(
    [
      '## WAN profile (bench/wan.ts)',
      '',
      `Every request answered ${latencyMs} ms late and its body read at most ${throttle / MiB} MiB/s (emulator latency and throttle faults on every ` +
        `request: one request at a time per HTTP/1.1 connection, so a per-connection cap), emulator objects in ${onTmpfs ? 'tmpfs' : 'the work directory'}. ` +
        `oss-sync is \`oss-sync once\` with every concurrency setting at its default (small_files ${smallInFlight}, parts_per_file ${partsPerFile}, ` +
        `memory ${memoryBytes / MiB} MiB), time from process start to exit; small files: the median of three runs with the faults and three without, alternating; the rest one run each. Run alone: \`npm run build && node dist/bench/run.js --only wan\`.`,
      '',
      table(['workload', 'oss-sync', 'against', 'ratio', 'target'], rows),
      '',
      `Loopback (no faults), same oss-sync: ${fixed(filesPerSecond(smallLoopback.ms), 0)} files/s (${fixed(smallLoopback.ms / 1000, 1)} s), ` +
        `${fixed(mibPerSecond(largeLoopback.ms))} MiB/s (${fixed(largeLoopback.ms / 1000, 1)} s). WAN runs: oss-sync ${fixed(smallWan.ms / 1000, 1)} s ` +
        `and ${fixed(largeWan.ms / 1000, 1)} s (peak RSS ${fixed(smallWan.peakRssMB, 0)} and ${fixed(largeWan.peakRssMB, 0)} MB); put loop ` +
        `${fixed(putLoopMs / 1000, 1)} s; multipartUpload ${fixed(aliMs / 1000, 1)} s; restore ${fixed(restoreMs / 1000, 1)} s, ` +
        `get loop ${fixed(getLoopMs / 1000, 1)} s (one run each).`,
    ].join('\n'),
  );
}

try {
  await main();
} finally {
  killAllChildren();
  rmSync(work, { recursive: true, force: true });
  rmSync(emulatorRoot, { recursive: true, force: true });
  rmSync(restoredRoot, { recursive: true, force: true });
}
