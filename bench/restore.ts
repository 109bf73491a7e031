/**
 * Restore and verify benchmark on the emulator (a child process, data on tmpfs when there is one):
 * - one large object: `oss-sync restore` (ranged GETs, CRC-64 while writing, rename) vs. ali-oss
 *   get() to a file vs. one bare streaming GET piped to a file (no check: the ceiling);
 * - many small objects: `oss-sync restore` vs. an ali-oss get() loop at the same concurrency;
 * - cheap verify of a folder of 100,000 files vs. one ListObjectsV2 pass over its prefix.
 * Contenders run one at a time, alternating order between runs; the restores each in a process of
 * their own (bench/restore-child.ts), as a real restore runs; prints a markdown section.
 *
 *   npm run build && node dist/bench/restore.js [--size-mib 1024] [--files 10000] [--verify-files 100000] [--runs 3] [--quick] [--small-only | --big-only]
 */
import { spawn } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import OSS from 'ali-oss';
import type { FolderConfig } from '../src/config/index.js';
import { verifyFolder } from '../src/daemon/verify/verify-folder.js';
import { PathFilter } from '../src/daemon/watch/path-filter.js';
import { StateStore } from '../src/store/index.js';
import { createOssStorage, listObjects, withRetries, defaultRetryPolicy, Pacer } from '../src/uploader/index.js';
import { emulatorDataDir } from './emulator-data-dir.js';
import { fillEmulatorObjects } from './emulator-fill.js';
import { fillStateAsUploaded } from './state-fill.js';
import { BenchChild } from './child-process.js';
import { fixed, median, ratio, table, verdict } from './markdown.js';

const MiB = 1024 * 1024;
const BUCKET = 'bench';
const KEY_ID = 'bench-key-id';
const SECRET = 'bench-key-secret';
const PART = 8 * MiB;
const PARALLEL = 4;
/** Small objects in flight at once, for both contenders: `oss-sync restore`'s default (concurrency.small_files). */
const SMALL_PARALLEL = 128;

const { values } = parseArgs({
  options: {
    'size-mib': { type: 'string', default: '1024' },
    files: { type: 'string', default: '10000' },
    'verify-files': { type: 'string', default: '100000' },
    runs: { type: 'string', default: '3' },
    quick: { type: 'boolean', default: false },
    // Only the small-object rows (restore loop, verify): the large object is skipped.
    'small-only': { type: 'boolean', default: false },
    // Only the large-object rows: no small objects, no verify.
    'big-only': { type: 'boolean', default: false },
  },
});
const smallOnly = values['small-only'];
const bigOnly = values['big-only'];
const sizeMiB = smallOnly ? 1 : values.quick ? 128 : Number(values['size-mib']);
const fileCount = bigOnly ? 0 : values.quick ? 1000 : Number(values.files);
const runs = values.quick ? 1 : Number(values.runs);
const verifyCount = bigOnly ? 0 : values.quick ? 10_000 : Number(values['verify-files']);

const work = mkdtempSync(join(tmpdir(), 'oss-sync-bench-restore-'));
const emuDir = emulatorDataDir(work);
/** Where contenders restore to (see `restored`): tmpfs beside the emulator's objects when there is one. */
const outRoot = emuDir.onTmpfs ? mkdtempSync('/dev/shm/oss-sync-bench-restored-') : join(work, 'out');
const cli = new URL('../src/cli/main.js', import.meta.url).pathname;
const CHILD = new URL('./restore-child.js', import.meta.url).pathname;
/** What a contender run in a child process reports: its restore's wall time and its process's CPU. */
interface ChildTiming {
  ms: number;
  cpuSeconds: number;
  /** The system-time part of cpuSeconds: the disk's share (page cache, writeback) apart from the code's. */
  systemSeconds: number;
}

// Verify's input: `verifyCount` objects put straight into the emulator's data directory (before it
// starts), a local tree of as many files and their state rows, as a finished upload leaves them.
const manyDir = join(work, 'many');
const manyBody = Buffer.from('verify benchmark\n');
const manyRel = Array.from({ length: verifyCount }, (_, i) => `d${Math.floor(i / 1000)}/f${i}.dat`);
for (let d = 0; d * 1000 < verifyCount; d++) mkdirSync(join(manyDir, `d${d}`), { recursive: true });
for (const rel of manyRel) writeFileSync(join(manyDir, rel), manyBody);
const manyEtag = await fillEmulatorObjects(
  emuDir.dir,
  BUCKET,
  manyRel.map((rel) => `many/${rel}`),
  manyBody,
);
const stateDb = join(work, 'state.db');
const folder: FolderConfig = {
  name: 'many',
  path: manyDir,
  bucket: BUCKET,
  prefix: 'many/',
  include: [],
  exclude: [],
  deletePolicy: 'keep',
  partSize: PART,
  watcher: 'auto',
};
await fillStateAsUploaded(stateDb, folder, manyEtag);

const emulator = spawn(
  process.execPath,
  [cli, 'emulator', '--port', '0', '--data-dir', emuDir.dir, '--bucket', BUCKET, '--access-key-id', KEY_ID, '--access-key-secret', SECRET],
  {
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
const stop = (): void => {
  emulator.kill('SIGTERM');
  rmSync(work, { recursive: true, force: true });
  rmSync(outRoot, { recursive: true, force: true });
  if (emuDir.onTmpfs) rmSync(emuDir.dir, { recursive: true, force: true });
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);

try {
  const endpoint = await new Promise<string>((resolve, reject) => {
    let buf = '';
    emulator.stdout!.on('data', (chunk: Buffer) => {
      buf += chunk.toString();
      const m = /listening on (http:\/\/\S+)/.exec(buf);
      if (m) resolve(m[1]!);
    });
    emulator.once('exit', (code) => reject(new Error(`emulator exited (${code})`)));
  });
  const client = new OSS({ accessKeyId: KEY_ID, accessKeySecret: SECRET, bucket: BUCKET, endpoint } as OSS.Options);
  const connection = { endpoint, accessKeyId: KEY_ID, accessKeySecret: SECRET };
  const storage = withRetries(createOssStorage(connection), new Pacer(), defaultRetryPolicy());
  const log = (s: string) => process.stderr.write(`[restore] ${s}\n`);

  // Inputs: one large object, `fileCount` small ones (4 KiB), their local tree and state rows.
  const bigFile = join(work, 'big.bin');
  const fd = openSync(bigFile, 'w');
  const chunk = Buffer.alloc(MiB);
  for (let i = 0; i < sizeMiB; i++) writeSync(fd, randomFillSync(chunk));
  closeSync(fd);
  log(`uploading ${sizeMiB} MiB`);
  await client.multipartUpload('big/big.bin', bigFile, {
    partSize: PART,
    parallel: PARALLEL,
    meta: { mtime: '1700000000000000000' },
  } as unknown as OSS.MultipartUploadOptions);
  const store = StateStore.open(stateDb);

  // Restored trees are removed after the clock stops: deleting files is no contender's work. They
  // are written to tmpfs when the machine has one, as the emulator's objects are: on this VM's
  // journalless ext4 /tmp, each file created for minutes after N files were deleted (by an earlier
  // bench, or this one's last run) scans past those N free inodes (recently_deleted() in
  // find_inode_bit), which put 1-5 s of system time into whichever contender ran then, 1 GiB row
  // included (bench/NOTES.md). Trees of small files still stay until the process ends.
  const restored: string[] = [];
  // Wall time, and the CPU this process (the client) and the emulator (a child) spent on it.
  const cpuSeconds: Record<string, number[]> = {};
  const emulatorCpu = (): number => {
    // utime + stime of /proc/PID/stat, in clock ticks (100 a second); the name field may hold spaces.
    const fields = readFileSync(`/proc/${emulator.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  };
  // A contender run in a child process reports its own wall time and CPU (ChildTiming).
  const timed = async (name: string, fn: () => Promise<unknown>): Promise<number> => {
    const t = performance.now();
    const cpu = process.cpuUsage();
    const emuCpu = emulatorCpu();
    const own = (await fn()) as ChildTiming | undefined;
    const used = process.cpuUsage(cpu);
    const ms = own?.ms ?? performance.now() - t;
    (cpuSeconds[name] ??= []).push(own?.cpuSeconds ?? (used.user + used.system) / 1e6);
    if (own) (cpuSeconds[`${name}System`] ??= []).push(own.systemSeconds);
    (cpuSeconds[`${name}Emulator`] ??= []).push(emulatorCpu() - emuCpu);
    for (const d of restored.splice(0)) rmSync(d, { recursive: true, force: true });
    return ms;
  };
  const fresh = (name: string, manyFiles = false): string => {
    const d = join(outRoot, `${name}-${Math.random().toString(36).slice(2)}`);
    mkdirSync(d, { recursive: true });
    if (!manyFiles) restored.push(d);
    return d;
  };
  // Every contender restores in a process of its own, as a real restore does: the large object
  // (KEY big/big.bin) or the small ones (KEY small/: oss-sync lists that prefix, the loop is given
  // the names), their trees kept until the end (see `restored`).
  const inChild = (role: 'oss-sync' | 'ali-get' | 'bare' | 'ali-loop', key: string) => async (): Promise<ChildTiming> => {
    const to = fresh(role, key === 'small/');
    const child = new BenchChild(
      `restore (${role} ${key})`,
      [
        CHILD,
        role,
        endpoint,
        BUCKET,
        KEY_ID,
        key,
        to,
        String(PART),
        String(key === 'small/' ? SMALL_PARALLEL : PARALLEL),
        String(fileCount),
      ],
      {
        env: { ...process.env, OSS_SECRET: SECRET },
      },
    );
    await child.expectSuccess(60 * 60_000);
    return JSON.parse(child.stdoutTail.at(-1)!) as ChildTiming;
  };
  const verifyCheap = () =>
    verifyFolder(folder, {
      storage,
      records: store.verify,
      filter: new PathFilter(),
      checksum: false,
      deep: false,
      parallel: 8,
      requeue: false,
    });
  // The target's baseline: one pass with the SDK's own listV2, as a script would list. oss-sync's
  // listing (its own parse of the answer, ~1/8 of the SDK's CPU) is shown beside it: verify's cost
  // over a listing must not look smaller only because its own listing got faster.
  const aliList = async () => {
    let token: string | undefined;
    do {
      const page = await client.listV2({ prefix: 'many/', 'max-keys': '1000', ...(token ? { 'continuation-token': token } : {}) }, {});
      token = page.isTruncated ? page.nextContinuationToken : undefined;
    } while (token);
  };
  const listOnly = () => listObjects(storage, BUCKET, 'many/');

  const results: Record<string, number[]> = {
    ours: [],
    aliGet: [],
    bare: [],
    oursSmall: [],
    aliLoop: [],
    verify: [],
    list: [],
    aliList: [],
  };
  // The large object's runs first, all of them: the small-object runs leave 10,000 files a
  // contender on tmpfs (kept until the end, see `restored`) and 10,000 more objects in the emulator.
  const big: Array<[string, () => Promise<unknown>]> = smallOnly
    ? []
    : [
        ['ours', inChild('oss-sync', 'big/big.bin')],
        ['aliGet', inChild('ali-get', 'big/big.bin')],
        ['bare', inChild('bare', 'big/big.bin')],
      ];
  // One untimed round first: run 1's first restore (always oss-sync's) paid the emulator's JIT
  // warm-up of its GET path alone, as the small objects' run 1 did (below).
  for (const [, fn] of big) await fn();
  for (const d of restored.splice(0)) rmSync(d, { recursive: true, force: true });
  for (let run = 0; run < runs && big.length > 0; run++) {
    log(`large object, run ${run + 1}/${runs}`);
    for (const [name, fn] of run % 2 === 0 ? big : [...big].reverse()) results[name]!.push(await timed(name, fn));
  }
  if (!bigOnly) {
    log(`uploading ${fileCount} small objects (${verifyCount} for verify were filled in)`);
    const smallDir = join(work, 'small');
    mkdirSync(smallDir);
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < fileCount) {
          const i = next++;
          const body = randomFillSync(Buffer.alloc(4096));
          writeFileSync(join(smallDir, `f${i}.dat`), body);
          await client.put(`small/f${i}.dat`, body);
        }
      }),
    );

    // The emulator's GET and listing code compiled before any clock: run 1's first small-object
    // restore (always oss-sync's) paid its JIT warm-up, 0.52-0.54 s of the emulator's CPU per 1,000
    // objects in four bench processes against 0.41-0.49 in the later runs (bench/NOTES.md).
    await listObjects(storage, BUCKET, 'small/');
    let warmed = 0;
    await Promise.all(
      Array.from({ length: PARALLEL }, async () => {
        while (warmed < Math.min(fileCount, 2000)) await client.get(`small/f${warmed++}.dat`);
      }),
    );
    const small: Array<[string, () => Promise<unknown>]> = [
      ['oursSmall', inChild('oss-sync', 'small/')],
      ['aliLoop', inChild('ali-loop', 'small/')],
      ['verify', verifyCheap],
      ['list', listOnly],
      ['aliList', aliList],
    ];
    for (let run = 0; run < runs; run++) {
      log(`small objects, run ${run + 1}/${runs}`);
      for (const [name, fn] of run % 2 === 0 ? small : [...small].reverse()) results[name]!.push(await timed(name, fn));
    }
  }
  const check = bigOnly ? 0 : (await verifyCheap()).findings.length;
  store.close();

  const m = (k: string) => median(results[k]!);
  const rate = (ms: number) => `${fixed((sizeMiB / ms) * 1000)} MiB/s`;
  const vsAli = m('aliGet') / m('ours');
  const vsBare = m('bare') / m('ours');
  const vsLoop = m('aliLoop') / m('oursSmall');
  const verifyRatio = m('verify') / m('aliList');
  const cpuPerGiB = (k: string) => fixed((median(cpuSeconds[k] ?? []) * 1024) / sizeMiB, 2);
  // Each run's, not the median: on shared cores the spread is the point.
  const perThousand = (k: string) => (cpuSeconds[k] ?? []).map((s) => fixed((s * 1000) / fileCount, 2)).join(' / ');
  process.stdout.write(
    [
      `## restore`,
      '',
      `${smallOnly ? '' : `${sizeMiB} MiB object, `}${fileCount} objects of 4 KiB, ${SMALL_PARALLEL} at once for both contenders (\`oss-sync restore\`'s default, concurrency.small_files); ${PARALLEL} ranges of ${PART / MiB} MiB at once; median of ${runs} run(s). Each restore runs in a process of its own (bench/restore-child.ts), timed around the restore alone.`,
      '',
      table(
        ['what', 'oss-sync', 'baseline', 'oss-sync vs. baseline', 'target', ''],
        [
          ...(smallOnly
            ? []
            : [
                [
                  `restore ${sizeMiB} MiB vs. ali-oss get() to a file`,
                  rate(m('ours')),
                  rate(m('aliGet')),
                  ratio(vsAli),
                  '>= 1.0x',
                  verdict(vsAli >= 1),
                ],
                [
                  `restore ${sizeMiB} MiB vs. a bare streaming GET`,
                  rate(m('ours')),
                  rate(m('bare')),
                  ratio(vsBare),
                  '>= 0.8x',
                  verdict(vsBare >= 0.8),
                ],
              ]),
          ...(bigOnly
            ? []
            : [
                [
                  `restore ${fileCount} small objects vs. an ali-oss get() loop`,
                  `${fixed(m('oursSmall') / 1000, 2)} s`,
                  `${fixed(m('aliLoop') / 1000, 2)} s`,
                  ratio(vsLoop),
                  '>= 1.0x',
                  verdict(vsLoop >= 1),
                ],
                [
                  `cheap verify of ${verifyCount} objects vs. one ListObjectsV2 pass (ali-oss listV2)`,
                  `${fixed(m('verify') / 1000, 2)} s`,
                  `${fixed(m('aliList') / 1000, 2)} s`,
                  `${ratio(verifyRatio)} the time`,
                  '<= 1.5x',
                  verdict(verifyRatio <= 1.5),
                ],
                [
                  `cheap verify vs. oss-sync's own listing pass (for information)`,
                  `${fixed(m('verify') / 1000, 2)} s`,
                  `${fixed(m('list') / 1000, 2)} s`,
                  `${ratio(m('verify') / m('list'))} the time`,
                  'n/a',
                  '',
                ],
              ]),
        ],
      ),
      '',
      ...(smallOnly
        ? []
        : [
            `Client CPU per GiB (user + system of the contender's own process during its restore, median): oss-sync ${cpuPerGiB('ours')} s, ali-oss get() ${cpuPerGiB('aliGet')} s, bare GET ${cpuPerGiB('bare')} s; the emulator's: ${cpuPerGiB('oursEmulator')} s, ${cpuPerGiB('aliGetEmulator')} s, ${cpuPerGiB('bareEmulator')} s. Of the clients' CPU, system time: ${cpuPerGiB('oursSystem')} s, ${cpuPerGiB('aliGetSystem')} s, ${cpuPerGiB('bareSystem')} s.`,
            '',
          ]),
      ...(bigOnly
        ? []
        : [
            `Client CPU per 1,000 small objects (user + system of the contender's own process during its restore; each run, in order): oss-sync ${perThousand('oursSmall')} s, ali-oss get() loop ${perThousand('aliLoop')} s; of which system time: ${perThousand('oursSmallSystem')} s, ${perThousand('aliLoopSystem')} s; the emulator's: ${perThousand('oursSmallEmulator')} s, ${perThousand('aliLoopEmulator')} s.`,
            '',
          ]),
      `oss-sync checks every byte (CRC-64 while writing, against the object's) and renames into place; the baselines check nothing. Verify found ${check} finding(s) (expected 0).`,
      '',
    ].join('\n'),
  );
} finally {
  stop();
}
