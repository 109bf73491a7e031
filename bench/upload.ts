/**
 * Upload benchmark on the emulator: oss-sync's uploader vs. ali-oss multipartUpload() (same part size and
 * parallelism) vs. one bare streaming PUT (the ceiling), each in its own child process, plus the bytes
 * re-sent after a kill -9 at 50%. Prints a markdown section.
 *
 *   npm run build && node dist/bench/upload.js [--size-mib 1024] [--part-mib 8] [--parallel 4] [--runs 3]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { RequestLogEntry } from '../src/emulator/index.js';
import Database from 'better-sqlite3';
import { BenchChild, killAllChildren } from './child-process.js';
import { writeRandomFile } from './daemon-fixture.js';
import { emulatorDataDir } from './emulator-data-dir.js';
import { fixed, ratio, table, verdict } from './markdown.js';
import type { ContenderResult } from './upload-child.js';

const CHILD = new URL('./upload-child.js', import.meta.url).pathname;
const MiB = 1024 * 1024;
const BUCKET = 'bench';
const CHILD_TIMEOUT_MS = 30 * 60_000;

const { values } = parseArgs({
  options: {
    'size-mib': { type: 'string', default: '1024' },
    'part-mib': { type: 'string', default: '8' },
    parallel: { type: 'string', default: '4' },
    runs: { type: 'string', default: '3' },
    /** npm run bench -- --quick: a short run. */
    quick: { type: 'boolean', default: false },
  },
});
const sizeMiB = values.quick ? 128 : Number(values['size-mib']);
const partSize = Number(values['part-mib']) * MiB;
const parallel = Number(values.parallel);
const runs = values.quick ? 1 : Number(values.runs);

function startChild(args: string[]): BenchChild {
  return new BenchChild(args[0]!, [CHILD, ...args]);
}

/** The child's JSON result line, or an error with its stderr. */
async function resultOf(child: BenchChild): Promise<unknown> {
  const line = await child.waitForLine((l) => l.startsWith('{'), CHILD_TIMEOUT_MS, `${child.name} result`);
  return JSON.parse(line);
}

async function runContender(role: string, endpoint: string, file: string, key: string, journal = ''): Promise<ContenderResult> {
  const child = startChild([role, endpoint, BUCKET, key, file, String(partSize), String(parallel), journal]);
  const result = (await resultOf(child)) as ContenderResult;
  await child.exited;
  return result;
}

async function deleteObject(endpoint: string, key: string): Promise<void> {
  const child = startChild(['delete', endpoint, BUCKET, key]);
  await resultOf(child);
  await child.exited;
}

/** The emulator's admin token (from its start line), for the request log. */
let adminToken = '';

async function requestLog(endpoint: string): Promise<RequestLogEntry[]> {
  return (await (
    await fetch(`${endpoint}/-/requests`, { headers: { authorization: `Bearer ${adminToken}` } })
  ).json()) as RequestLogEntry[];
}

/**
 * Kill -9 an oss-sync upload once half the file is acknowledged, resume it, and count the bytes the
 * emulator received for the key beyond the file's size: every byte sent more than once.
 */
async function killAndResume(endpoint: string, file: string, dir: string): Promise<{ resentBytes: number; ackedAtKill: number }> {
  const key = 'killed.bin';
  const stateDb = join(dir, 'killed.db');
  const child = startChild(['oss-sync', endpoint, BUCKET, key, file, String(partSize), String(parallel), stateDb]);
  let ackedAtKill = 0;
  while (child.child.exitCode === null) {
    ackedAtKill = acknowledgedBytes(stateDb);
    if (ackedAtKill >= (sizeMiB * MiB) / 2) break;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  child.child.kill('SIGKILL');
  await child.exited;
  await runContender('oss-sync', endpoint, file, key, stateDb);
  const received = (await requestLog(endpoint))
    .filter((e) => e.key === key && e.operation === 'UploadPart')
    .reduce((sum, e) => sum + e.bytesReceived, 0);
  return { resentBytes: received - sizeMiB * MiB, ackedAtKill };
}

/** Bytes of parts the child has recorded as acknowledged (0 until its database exists). */
function acknowledgedBytes(stateDb: string): number {
  try {
    const db = new Database(stateDb, { readonly: true, fileMustExist: true });
    try {
      return db.prepare('SELECT coalesce(sum(size), 0) FROM parts').pluck().get() as number;
    } finally {
      db.close();
    }
  } catch {
    return 0; // not created (or not migrated) yet
  }
}

const mibps = (r: ContenderResult): number => r.bytes / MiB / (r.ms / 1000);

/**
 * What the CPU columns imply: client and emulator share the cores, so a contender cannot go faster
 * than (its CPU + the emulator's CPU) / cores seconds per GiB. Printed so a ratio can be read
 * against what this machine allows, not only against the target.
 */
function cpuBudget(best: Map<string, ContenderResult & { emulatorCpuSeconds?: number }>): string {
  const cores = cpus().length;
  const gib = (r: ContenderResult): number => r.bytes / 1024 / MiB;
  const floor = (role: string): number => {
    const r = best.get(role)!;
    return (r.cpuSeconds + (r.emulatorCpuSeconds ?? 0)) / gib(r) / cores;
  };
  const bare = best.get('bare-put')!;
  const bareSecondsPerGiB = bare.ms / 1000 / gib(bare);
  return (
    `CPU budget on ${cores} cores (client + emulator CPU per GiB, divided by the cores): ${fixed(floor('oss-sync'), 2)} s for oss-sync, ` +
    `${fixed(floor('ali-oss-multipart'), 2)} s for ali-oss, ${fixed(floor('bare-put'), 2)} s for the bare PUT, which instead waits on the ` +
    `emulator's single thread for its one stream (${fixed(bareSecondsPerGiB, 2)} s/GiB measured); parts in parallel spread the server's work ` +
    `(its file writes run on its thread pool).`
  );
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'oss-sync-bench-'));
  let emulatorDir: string | undefined;
  let emulatorOnTmpfs = false;
  try {
    const file = join(dir, 'payload.bin');
    writeRandomFile(file, sizeMiB * MiB);
    const emulatorData = emulatorDataDir(dir);
    emulatorDir = emulatorData.dir;
    emulatorOnTmpfs = emulatorData.onTmpfs;
    const emulator = startChild(['emulator', emulatorData.dir, BUCKET]);
    const started = (await resultOf(emulator)) as { endpoint: string; adminToken: string };
    const { endpoint } = started;
    adminToken = started.adminToken;

    const contenders = ['bare-put', 'ali-oss-multipart', 'oss-sync'] as const;
    const best = new Map<string, ContenderResult & { emulatorCpuSeconds?: number }>();
    for (let run = 0; run < runs; run++) {
      // Each run starts with the next contender (bare, ali-oss, oss-sync; then ali-oss, oss-sync, bare...):
      // in a fixed order one contender always ran right after another's gigabyte (bench/NOTES.md).
      const order = [...contenders.slice(run % contenders.length), ...contenders.slice(0, run % contenders.length)];
      for (const role of order) {
        // The previous run's gigabyte is still being written back to disk: let that finish first, or
        // the kernel's writeback threads take CPU from whichever contender comes next.
        execFileSync('sync');
        const emulatorCpuBefore = emulator.cpuSeconds();
        const result: ContenderResult & { emulatorCpuSeconds?: number } = await runContender(
          role,
          endpoint,
          file,
          `${role}-${run}.bin`,
          join(dir, `${role}-${run}.db`),
        );
        result.emulatorCpuSeconds = emulator.cpuSeconds() - emulatorCpuBefore;
        const gib = result.bytes / 1024 / MiB;
        // Every run, for medians and A/B comparisons (the table keeps the best).
        console.error(
          `run ${run} ${role}: ${fixed(mibps(result))} MiB/s, CPU ${fixed(result.cpuSeconds / gib, 2)} s/GiB, ` +
            `emulator ${fixed(result.emulatorCpuSeconds / gib, 2)} s/GiB`,
        );
        // Otherwise each run leaves a gigabyte behind, and later runs pay for the emulator's growing
        // page cache and writeback (its multipart CPU per GiB rose from ~3.5 s to ~5 s over a run).
        await deleteObject(endpoint, `${role}-${run}.bin`);
        const previous = best.get(role);
        if (!previous || result.ms < previous.ms) best.set(role, result);
      }
    }
    const kill = await killAndResume(endpoint, file, dir);

    const ours = mibps(best.get('oss-sync')!);
    const targets: Record<string, number> = { 'bare-put': 0.8, 'ali-oss-multipart': 1.0, 'oss-sync': 1.0 };
    const rows = contenders.map((role) => {
      const r = best.get(role)!;
      const vs = ours / mibps(r);
      const perGiB = (cpu: number): string => fixed(cpu / (r.bytes / 1024 / MiB), 2);
      return [
        role,
        fixed(mibps(r)),
        ratio(vs),
        `>= ${targets[role]}x ${verdict(vs >= targets[role]!)}`,
        fixed(r.maxRssMiB, 0),
        perGiB(r.cpuSeconds),
        perGiB(r.emulatorCpuSeconds ?? Number.NaN),
      ];
    });
    const bound = parallel * partSize;
    console.log(
      [
        `### Upload: ${sizeMiB} MiB file, part size ${partSize / MiB} MiB, parallel ${parallel}, best of ${runs}`,
        '',
        `Machine: ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}; ` +
          `the emulator (objects in ${emulatorOnTmpfs ? 'tmpfs' : 'the work directory'}) and each contender run in their own child process, sharing the CPUs; the file is read from disk. oss-sync hashes every byte ` +
          "(CRC-64, checked against the server's answers) and records each part in its SQLite state database; " +
          'ali-oss `multipartUpload()` and the bare PUT check nothing, so on a CPU-bound box they do less work per byte.',
        '',
        table(['contender', 'MiB/s', 'oss-sync / contender', 'target', 'peak RSS (MiB)', 'CPU s/GiB', 'emulator CPU s/GiB'], rows),
        '',
        cpuBudget(best),
        '',
        `kill -9 at ${fixed((kill.ackedAtKill / (sizeMiB * MiB)) * 100, 0)}% acknowledged, then resume: ` +
          `${fixed(kill.resentBytes / MiB)} MiB re-sent (bound: parallel x part size = ${bound / MiB} MiB) ${verdict(kill.resentBytes <= bound)}`,
      ].join('\n'),
    );
  } finally {
    killAllChildren();
    rmSync(dir, { recursive: true, force: true });
    if (emulatorDir) rmSync(emulatorDir, { recursive: true, force: true });
  }
}

await main();
