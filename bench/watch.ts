/**
 * Watcher and walk benchmark: `npm run build && node dist/bench/watch.js [--files N] [--idle-seconds S] [--million]`.
 * Builds N empty files in N/100 folders once, then per backend (each in its own child process, so RSS is
 * its own): time to ready, RSS after ready, inotify watches, idle CPU, latency of a change event.
 * Then the reconcile walk against `find -printf '%s %T@\n'` on the same tree; with --million also on
 * 1,000,000 files (building that tree takes minutes). Prints a markdown section to stdout.
 */
import { fork, spawnSync } from 'node:child_process';
import { appendFileSync, closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createFolderWatcher } from '../src/daemon/watch/create-folder-watcher.js';
import type { BackendName, WatchEvent } from '../src/daemon/watch/folder-watcher.js';
import { PathFilter } from '../src/daemon/watch/path-filter.js';
import { TreeWalk } from '../src/daemon/watch/tree-walker.js';
import { fixed, median, ratio, seconds, table, verdict } from './markdown.js';

interface WatchResult {
  backend: BackendName;
  running: BackendName;
  readyMs: number;
  rssMB: number;
  peakMB: number;
  watches: number;
  idleCpuPct: number;
  latenciesMs: number[];
}

interface WalkResult {
  ms: number;
  files: number;
  peakMB: number;
}

const BACKENDS: BackendName[] = ['chokidar', 'native', 'rescan'];

function flag(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at === -1 ? undefined : process.argv[at + 1];
}

function statusMB(field: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync('/proc/self/status', 'utf8'));
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

/** inotify watches held by this process (one `inotify wd:` line per watch). */
function ownWatches(): number {
  let count = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) !== 'anon_inode:inotify') continue;
      count += readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8').split('inotify wd:').length - 1;
    } catch {
      // closed meanwhile
    }
  }
  return count;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// ---- child side ------------------------------------------------------------------------------

async function watchChild(root: string, backend: BackendName, idleSeconds: number, dirs: number, rescanMs: number): Promise<WatchResult> {
  const started = performance.now();
  const watcher = await createFolderWatcher(root, { backend, filter: new PathFilter(), rescanIntervalMs: rescanMs });
  const readyMs = performance.now() - started;
  const rssMB = statusMB('VmRSS');
  const watches = ownWatches();
  const cpuBefore = process.cpuUsage();
  const idleStart = performance.now();
  await sleep(idleSeconds * 1_000);
  const cpu = process.cpuUsage(cpuBefore);
  const idleCpuPct = ((cpu.user + cpu.system) / 1_000 / (performance.now() - idleStart)) * 100;

  const waiting = new Map<string, () => void>();
  watcher.on('batch', (events: WatchEvent[]) => events.forEach((e) => waiting.get(e.relPath)?.()));
  const samples = backend === 'rescan' ? 3 : 10;
  const latenciesMs: number[] = [];
  for (let i = 0; i < samples; i++) {
    const relPath = `d${(i * 37) % dirs}/f${i}`;
    const seen = new Promise<void>((resolve) => waiting.set(relPath, resolve));
    const wrote = performance.now();
    appendFileSync(join(root, relPath), 'changed');
    await Promise.race([seen, sleep(rescanMs * 2 + 5_000)]);
    latenciesMs.push(waiting.has(relPath) ? performance.now() - wrote : Number.NaN);
    waiting.delete(relPath);
    await sleep(100);
  }
  const running = watcher.backend;
  await watcher.close();
  return { backend, running, readyMs, rssMB, peakMB: statusMB('VmHWM'), watches, idleCpuPct, latenciesMs };
}

async function walkChild(root: string): Promise<WalkResult> {
  const started = performance.now();
  let files = 0;
  const walk = new TreeWalk(root, new PathFilter());
  for await (const batch of walk) files += batch.length;
  return { ms: performance.now() - started, files, peakMB: statusMB('VmHWM') };
}

// ---- parent side -----------------------------------------------------------------------------

function inChild<T>(args: string[]): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), ['--child', ...args], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.once('message', (message) => resolve(message as T));
    child.once('exit', (code) => reject(new Error(`child ${args.join(' ')} exited with ${code} before reporting`)));
  });
}

/** Empty files: creating them is what costs (~0.1-0.5 ms each here), their content does not matter. */
function buildTree(root: string, files: number, dirs: number): void {
  for (let d = 0; d < dirs; d++) mkdirSync(join(root, `d${d}`));
  for (let i = 0; i < files; i++) closeSync(openSync(join(root, `d${i % dirs}`, `f${Math.floor(i / dirs)}`), 'w'));
}

/** Median of three `find` runs (after one to warm the cache), output to /dev/null. */
function timeFind(root: string): number {
  const runs: number[] = [];
  for (let i = 0; i < 4; i++) {
    const started = performance.now();
    spawnSync('find', [root, '-type', 'f', '-printf', '%s %T@\\n'], { stdio: 'ignore' });
    if (i > 0) runs.push(performance.now() - started);
  }
  return median(runs);
}

async function timeWalk(root: string): Promise<WalkResult> {
  const runs: WalkResult[] = [];
  for (let i = 0; i < 3; i++) runs.push(await inChild<WalkResult>(['walk', root]));
  const ms = median(runs.map((r) => r.ms));
  return { ms, files: runs[0]?.files ?? 0, peakMB: Math.max(...runs.map((r) => r.peakMB)) };
}

/** The target (<= 2x find, <= 200 MB) is set at 1,000,000 files; smaller trees are shown for scale. */
function walkRow(label: string, findMs: number, walk: WalkResult): Array<string | number> {
  const pass = walk.ms <= 2 * findMs && walk.peakMB <= 200;
  const target = walk.files >= 1_000_000 ? verdict(pass) : 'n/a';
  const ms = (value: number): string => `${fixed(value, 0)} ms`;
  return [label, walk.files.toLocaleString('en'), ms(findMs), ms(walk.ms), ratio(walk.ms / findMs), `${fixed(walk.peakMB, 0)} MB`, target];
}

async function main(): Promise<void> {
  const files = Number(flag('--files') ?? 100_000);
  const dirs = Math.max(1, Math.round(files / 100));
  const idleSeconds = Number(flag('--idle-seconds') ?? 60);
  const rescanMs = Number(flag('--rescan-seconds') ?? 30) * 1_000;
  const temp = mkdtempSync(join(tmpdir(), 'oss-sync-bench-watch-'));
  const out: string[] = [];
  try {
    const root = join(temp, 'tree');
    mkdirSync(root);
    let started = performance.now();
    buildTree(root, files, dirs);
    const buildMs = performance.now() - started;

    const results: WatchResult[] = [];
    for (const backend of BACKENDS) {
      results.push(await inChild<WatchResult>(['watch', root, backend, String(idleSeconds), String(dirs), String(rescanMs)]));
    }
    const findMs = timeFind(root);
    const walk = await timeWalk(root);

    out.push(`## Watching and walking (bench/watch.ts)`, '');
    out.push(
      `${files.toLocaleString('en')} files in ${dirs.toLocaleString('en')} folders (built in ${seconds(buildMs)}); ` +
        `idle CPU over ${idleSeconds} s (rescan every ${rescanMs / 1000} s); change latency = append to a file until its ` +
        `batch is delivered (75 ms coalescing window included), median and max. Each backend in its own process.`,
      '',
    );
    out.push(
      table(
        ['backend', 'ready', 'RSS after ready', 'peak RSS', 'inotify watches', 'idle CPU', 'change latency'],
        results.map((r) => [
          r.running === r.backend ? r.backend : `${r.backend} (fell back to ${r.running})`,
          seconds(r.readyMs),
          `${fixed(r.rssMB, 0)} MB`,
          `${fixed(r.peakMB, 0)} MB`,
          r.watches.toLocaleString('en'),
          `${fixed(r.idleCpuPct, 2)} %`,
          `${fixed(median(r.latenciesMs), 0)} / ${fixed(Math.max(...r.latenciesMs), 0)} ms`,
        ]),
      ),
      '',
    );
    const native = results.find((r) => r.backend === 'native');
    if (native !== undefined && files >= 100_000) {
      out.push(
        `Targets at ${files.toLocaleString('en')} files: native ready <= 2 s: ${verdict(native.readyMs <= 2_000)}; ` +
          `native RSS <= 150 MB: ${verdict(native.rssMB <= 150)}.`,
        '',
      );
    }
    const walkRows = [walkRow(`${files.toLocaleString('en')} files`, findMs, walk)];

    if (process.argv.includes('--million')) {
      rmSync(root, { recursive: true, force: true });
      const big = join(temp, 'million');
      mkdirSync(big);
      started = performance.now();
      buildTree(big, 1_000_000, 1_000);
      out.push(`1,000,000-file tree built in ${seconds(performance.now() - started)}.`, '');
      walkRows.push(walkRow('1,000,000 files', timeFind(big), await timeWalk(big)));
    }
    out.push(
      "Reconcile walk (readdir + lstat bigint, batches of 1,000) against `find -type f -printf '%s %T@\\n'`, median of 3 each; " +
        'target at 1,000,000 files: <= 2x find and <= 200 MB peak RSS (run with --million). Each walk in a fresh process, so JIT warm-up is included.',
      '',
      table(['tree', 'files', 'find', 'walk', 'walk/find', 'walk peak RSS', 'target'], walkRows),
      '',
    );
    process.stdout.write(out.join('\n'));
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}

async function child(): Promise<void> {
  const [, mode, root, backend, idleSeconds, dirs, rescanMs] = process.argv.slice(process.argv.indexOf('--child'));
  if (root === undefined) throw new Error('child needs a root');
  const result =
    mode === 'walk'
      ? await walkChild(root)
      : await watchChild(root, backend as BackendName, Number(idleSeconds), Number(dirs), Number(rescanMs));
  process.send?.(result, () => process.exit(0));
}

if (process.argv.includes('--child')) await child();
else await main();
