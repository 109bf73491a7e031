/**
 * What OSS can do for a backup without an upload (issue 19), on the emulator (its own process):
 * - renaming a large file in a mirror folder under `oss-sync run`: body bytes the emulator received
 *   (target 0: a server-side copy, then the old key's delete), and how long until both were done;
 * - adoption: a tree already on OSS, its state database deleted, then `oss-sync once`: PutObjects
 *   (target 0) and its time against one listing of the prefix plus a local CRC-64 pass over the
 *   tree as a whole process of their own (bench/adopt-baseline.ts: node, ali-oss, a cold start, as
 *   `once` is; target < 2x), and, for information, against the same two passes in this process,
 *   warm (oss-sync's own listing, no start-up).
 *
 *   npm run build && node dist/bench/server-side.js [--size-mib 1024] [--files 10000] [--quick]
 */
import { closeSync, mkdirSync, mkdtempSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { randomFillSync } from 'node:crypto';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { createOssStorage, listObjects } from '../src/uploader/index.js';
import { crcPass } from './adopt-baseline.js';
import { BenchChild, killAllChildren } from './child-process.js';
import {
  ACCESS_KEY_ID,
  ACCESS_KEY_SECRET,
  BUCKET,
  CLI,
  describeRequests,
  makeTree,
  ossSync,
  startEmulatorProcess,
  writeConfig,
} from './daemon-fixture.js';
import { emulatorDataDir } from './emulator-data-dir.js';
import { fixed, median, ratio, table, verdict } from './markdown.js';

const MiB = 1024 * 1024;
/** Log records of `once` whose `ms` is a phase of adoption. */
const PHASES: Record<string, string> = {
  'listed the folder prefix: files already there are adopted, not uploaded': 'listing',
  // A fresh folder's files are read and recorded as adopted during the walk; what is left after it is queued files.
  'reconciled folder': 'walk, local read and records',
  'adopted files OSS already holds; nothing uploaded for them': 'queued files adopted after the walk',
};
const MINUTE = 60_000;
const { values } = parseArgs({
  options: {
    'size-mib': { type: 'string', default: '1024' },
    files: { type: 'string', default: '10000' },
    quick: { type: 'boolean', default: false },
  },
});
const sizeMiB = values.quick ? 128 : Number(values['size-mib']);
const fileCount = values.quick ? 2000 : Number(values.files);
const log = (s: string): void => void process.stderr.write(`[server-side] ${s}\n`);

const work = mkdtempSync(join(tmpdir(), 'oss-sync-bench-server-side-'));
const emuDir = emulatorDataDir(work);
const cleanup = (): void => {
  killAllChildren();
  rmSync(work, { recursive: true, force: true });
  if (emuDir.onTmpfs) rmSync(emuDir.dir, { recursive: true, force: true });
};
process.once('SIGTERM', () => {
  cleanup();
  process.exit(143);
});

try {
  const emu = await startEmulatorProcess(emuDir.dir);

  // Renaming a large file in a mirror folder.
  const renameRoot = join(work, 'rename');
  const renameCfg = join(work, 'rename.yaml');
  const renameDb = join(work, 'rename.db');
  writeBigFile(join(renameRoot, 'big.bin'), sizeMiB);
  writeConfig(renameCfg, {
    endpoint: emu.endpoint,
    stateDb: renameDb,
    folder: renameRoot,
    prefix: 'rename/',
    settle: '1s',
    deletePolicy: 'mirror',
  });
  log(`uploading a ${sizeMiB} MiB file`);
  await ossSync('once', renameCfg).expectSuccess(20 * MINUTE);
  const run = ossSync('run', renameCfg);
  await run.waitForRecord((r) => r.msg === 'reconciled folder', 5 * MINUTE, 'the start-up walk');
  await emu.clearRequests();
  const renamedAt = performance.now();
  renameSync(join(renameRoot, 'big.bin'), join(renameRoot, 'renamed.bin'));
  await run.waitForRecord((r) => r.msg === 'moved on OSS without re-upload (server-side copy)', 5 * MINUTE, 'the server-side copy');
  const copiedMs = performance.now() - renamedAt;
  await run.waitForRecord((r) => r.msg === 'deleted remote object (mirror folder)', 5 * MINUTE, 'the old key deleted');
  const deletedMs = performance.now() - renamedAt;
  const renameEntries = await emu.entries();
  const bodyBytes = renameEntries.reduce((sum, e) => sum + e.bytesReceived, 0);
  const renameRequests = describeRequests(await emu.requests());
  await run.stop();

  // Adoption of a tree already on OSS after its state database is lost.
  const treeRoot = join(work, 'tree');
  const treeCfg = join(work, 'tree.yaml');
  const treeDb = join(work, 'tree.db');
  log(`building and uploading ${fileCount} files of 4 KiB`);
  makeTree(treeRoot, fileCount, 100, 4096);
  writeConfig(treeCfg, { endpoint: emu.endpoint, stateDb: treeDb, folder: treeRoot, prefix: 'tree/' });
  await ossSync('once', treeCfg).expectSuccess(40 * MINUTE);
  const storage = createOssStorage({ endpoint: emu.endpoint, accessKeyId: ACCESS_KEY_ID, accessKeySecret: ACCESS_KEY_SECRET });
  const listMs: number[] = [];
  const crcMs: number[] = [];
  for (let i = 0; i < 3; i++) {
    let t = performance.now();
    const listed = await listObjects(storage, BUCKET, 'tree/');
    listMs.push(performance.now() - t);
    if (listed.length !== fileCount) throw new Error(`listed ${listed.length} objects, expected ${fileCount}`);
    t = performance.now();
    crcPass(treeRoot);
    crcMs.push(performance.now() - t);
  }
  const baselineMs = median(listMs) + median(crcMs);
  const adoptMs: number[] = [];
  const phases: Record<string, number[]> = {};
  let adoptRequests: Record<string, number> = {};
  for (let i = 0; i < (values.quick ? 1 : 3); i++) {
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${treeDb}${suffix}`, { force: true });
    await emu.clearRequests();
    const once = ossSync('once', treeCfg);
    once.onRecord((r) => {
      const phase = PHASES[String(r.msg)];
      if (phase && typeof r.ms === 'number') (phases[phase] ??= []).push(r.ms);
    });
    adoptMs.push((await once.expectSuccess(20 * MINUTE)).ms);
    adoptRequests = await emu.requests();
  }
  // The start-up share of `once`: node, and the modules `once` loads (`once --help` loads them all, then exits).
  const startupMs: number[] = [];
  for (let i = 0; i < 3; i++)
    startupMs.push((await new BenchChild('oss-sync once --help', [CLI, 'once', '--help']).expectSuccess(MINUTE)).ms);
  // The same listing and CRC pass as a process of their own: node, ali-oss and a cold JIT, as `once` pays.
  const processMs: number[] = [];
  const baselineScript = new URL('./adopt-baseline.js', import.meta.url).pathname;
  for (let i = 0; i < 3; i++) {
    const child = new BenchChild(
      'listing + CRC pass (a process)',
      [baselineScript, emu.endpoint, BUCKET, 'tree/', treeRoot, ACCESS_KEY_ID],
      {
        env: { ...process.env, OSS_SECRET: ACCESS_KEY_SECRET },
      },
    );
    processMs.push((await child.expectSuccess(MINUTE)).ms);
    if (child.stdoutTail[0] !== String(fileCount))
      throw new Error(`the baseline process listed ${child.stdoutTail[0]} objects, expected ${fileCount}`);
  }
  const puts = (adoptRequests.PutObject ?? 0) + (adoptRequests.UploadPart ?? 0);
  const adoptRatio = median(adoptMs) / baselineMs;
  const processRatio = median(adoptMs) / median(processMs);

  process.stdout.write(
    [
      '## Server-side renames and adoption (`bench/server-side.ts`)',
      '',
      `Renaming a ${sizeMiB} MiB file in a mirror folder under \`oss-sync run\` (settle 1 s); body bytes counted by the emulator from the rename on.`,
      '',
      table(
        ['measure', 'value', 'target', 'result'],
        [
          ['body bytes sent', bodyBytes, '0', verdict(bodyBytes === 0)],
          ['rename to copy verified', `${fixed(copiedMs / 1000, 2)} s`, 'n/a', 'n/a'],
          ['rename to old key deleted', `${fixed(deletedMs / 1000, 2)} s`, 'n/a', 'n/a'],
          ['requests', renameRequests, 'no PutObject/UploadPart', verdict(!/PutObject|UploadPart /.test(renameRequests))],
        ],
      ),
      '',
      `Adoption: ${fileCount.toLocaleString('en-US')} files of 4 KiB already on OSS, the state database deleted, then \`oss-sync once\` ` +
        `(a whole process: start-up, walk, one listing, a local CRC-64/MD5 pass, records); median of ${adoptMs.length}. ` +
        'Baseline (the target): one ListObjectsV2 pass over the prefix plus a CRC-64 pass over the tree as a process of their own ' +
        '(`bench/adopt-baseline.ts`, median of 3), which pays start-up as `once` does. For information: the same two passes in this ' +
        "process, warm (median of 3 each; oss-sync's own listing), which no `once` can match with its start-up alone.",
      '',
      table(
        ['measure', 'value', 'target', 'result'],
        [
          ['PutObject + UploadPart', puts, '0', verdict(puts === 0)],
          ['requests', describeRequests(adoptRequests), 'n/a', 'n/a'],
          ['one listing', `${fixed(median(listMs))} ms`, 'n/a', 'n/a'],
          ['CRC-64 pass', `${fixed(median(crcMs))} ms`, 'n/a', 'n/a'],
          ['oss-sync once (adoption)', `${fixed(median(adoptMs))} ms`, 'n/a', 'n/a'],
          ['  of which start-up (node and modules: `once --help`)', `${fixed(median(startupMs))} ms`, 'n/a', 'n/a'],
          ...Object.entries(phases).map(([phase, ms]) => [`  of which ${phase}`, `${fixed(median(ms))} ms`, 'n/a', 'n/a']),
          ['once / (listing + CRC pass, warm, in this process: for information)', ratio(adoptRatio), 'n/a', 'n/a'],
          ['listing + CRC pass as a process of its own (node, ali-oss `listV2`, CRC-64)', `${fixed(median(processMs))} ms`, 'n/a', 'n/a'],
          ['once / that process (like for like: both start cold)', ratio(processRatio), '< 2x', verdict(processRatio < 2)],
        ],
      ),
      '',
    ].join('\n'),
  );
  await emu.child.stop();
} finally {
  cleanup();
}

/** A file of random bytes, written in 8 MiB chunks. */
function writeBigFile(path: string, mib: number): void {
  mkdirSync(dirname(path), { recursive: true });
  const chunk = Buffer.alloc(8 * MiB);
  const fd = openSync(path, 'w');
  try {
    for (let written = 0; written < mib * MiB; written += chunk.length) writeSync(fd, randomFillSync(chunk));
  } finally {
    closeSync(fd);
  }
}
