/**
 * `npm run bench`: runs each benchmark as a child process (`node dist/bench/<name>.js [flags]`),
 * collects the markdown section each prints, and writes bench/RESULTS.md (also echoed to stdout)
 * under a header describing the machine. A benchmark that fails is reported with its stderr tail,
 * and this exits non-zero. With --only, the other benchmarks' sections of bench/RESULTS.md are kept
 * as they were (each section is marked with its benchmark's name).
 *
 *   npm run bench [-- [--only upload,watch,daemon] [--quick] [-- FLAGS FOR EVERY BENCHMARK]]
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

const BENCHMARKS = [
  { name: 'upload', issue: 'issue 3: uploader throughput and resume' },
  { name: 'watch', issue: 'issue 5: watching' },
  { name: 'daemon', issue: 'issue 4: daemon throughput, restart, latency, idle' },
  { name: 'restore', issue: 'issue 15: restore and verify' },
  { name: 'bandwidth', issue: 'issue 16: bandwidth limit rate and burst' },
  { name: 'server-side', issue: 'issue 19: renames without re-upload, adoption' },
  { name: 'wan', issue: 'issue 18: a real link, 30 ms a request and 8 MiB/s a connection' },
] as const;
const RESULTS = new URL('../../bench/RESULTS.md', import.meta.url).pathname;
const STDERR_TAIL_LINES = 30;

const { values, positionals } = parseArgs({
  options: { only: { type: 'string' }, quick: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } },
  allowPositionals: true,
});
if (values.help) {
  process.stdout.write('usage: node dist/bench/run.js [--only NAME[,NAME]] [--quick] [-- FLAGS PASSED TO EACH BENCHMARK]\n');
  process.exit(0);
}
const only = values.only?.split(',').map((s) => s.trim());
for (const name of only ?? []) {
  if (!BENCHMARKS.some((b) => b.name === name)) {
    process.stderr.write(`--only: unknown benchmark '${name}' (${BENCHMARKS.map((b) => b.name).join(', ')})\n`);
    process.exit(2);
  }
}
const passThrough = [...(values.quick ? ['--quick'] : []), ...positionals];

interface Outcome {
  section: string;
  ok: boolean;
  summary: string;
}

function runBenchmark(name: string): Promise<Outcome> {
  const script = new URL(`./${name}.js`, import.meta.url).pathname;
  if (!existsSync(script)) {
    return Promise.resolve({
      section: `## ${name}\n\nSkipped: \`dist/bench/${name}.js\` does not exist (not written yet).\n`,
      ok: true,
      summary: 'skipped (missing)',
    });
  }
  const started = performance.now();
  process.stderr.write(`[bench] ${name}: node dist/bench/${name}.js ${passThrough.join(' ')}\n`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script, ...passThrough], { stdio: ['ignore', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => {
      process.stderr.write(chunk); // progress lines stay visible
      stderr = (stderr + chunk.toString('utf8')).slice(-64 * 1024);
    });
    const stopChild = (): void => void child.kill('SIGTERM');
    process.once('SIGINT', stopChild);
    process.once('SIGTERM', stopChild);
    child.once('close', (code, signal) => {
      process.off('SIGINT', stopChild);
      process.off('SIGTERM', stopChild);
      const took = `${((performance.now() - started) / 1000).toFixed(0)} s`;
      const section = Buffer.concat(stdout).toString('utf8').trim();
      if (code === 0) {
        resolve({ section: `${section}\n`, ok: true, summary: `ok, ${took}` });
        return;
      }
      const tail = stderr.trimEnd().split('\n').slice(-STDERR_TAIL_LINES).join('\n');
      resolve({
        section:
          `## ${name}: FAILED (exit ${code ?? signal} after ${took})\n\n` +
          (section ? `${section}\n\n` : '') +
          `stderr (last ${STDERR_TAIL_LINES} lines):\n\n\`\`\`\n${tail}\n\`\`\`\n`,
        ok: false,
        summary: `**failed** (exit ${code ?? signal}), ${took}`,
      });
    });
  });
}

function sh(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

function machine(): string {
  const cpuinfo = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? 'unknown';
  return [
    `- CPU: ${sh('nproc', [])} cores (nproc), ${model}`,
    `- memory: ${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    `- node ${process.version}, kernel ${sh('uname', ['-r'])}`,
  ].join('\n');
}

/** The sections of the last RESULTS.md by benchmark, with their line in its table (see marker()). */
function previousSections(): Map<string, { section: string; summary: string }> {
  const previous = new Map<string, { section: string; summary: string }>();
  const text = existsSync(RESULTS) ? readFileSync(RESULTS, 'utf8') : '';
  for (const b of BENCHMARKS) {
    const at = text.indexOf(marker(b.name));
    if (at < 0) continue;
    const next = text.indexOf('<!-- bench:', at + 1);
    const line = new RegExp(`^\\| ${b.name} \\| [^|]* \\| (.*) \\|$`, 'm').exec(text)?.[1] ?? 'ok';
    const summary = `${line.replace(/ \(earlier run\)$/, '')} (earlier run)`;
    previous.set(b.name, { section: text.slice(at + marker(b.name).length, next < 0 ? undefined : next).trim() + '\n', summary });
  }
  return previous;
}

function marker(name: string): string {
  return `<!-- bench:${name} -->\n`;
}

const started = performance.now();
const previous = only ? previousSections() : new Map<string, { section: string; summary: string }>();
const outcomes: Array<Outcome & { name: string; issue: string }> = [];
for (const b of BENCHMARKS) {
  if (!only || only.includes(b.name)) outcomes.push({ ...b, ...(await runBenchmark(b.name)) });
  else if (previous.has(b.name)) outcomes.push({ ...b, ok: true, ...previous.get(b.name)! });
}

const header = [
  '# Benchmark results',
  '',
  `Written by \`npm run bench\`${passThrough.length > 0 ? ` (flags: \`${passThrough.join(' ')}\`)` : ''} on ${new Date().toISOString()}; ` +
    `took ${((performance.now() - started) / 60_000).toFixed(1)} min` +
    (only ? ` for ${only.join(', ')} (\`--only\`: the other sections are from earlier runs).` : '.'),
  '',
  machine(),
  '',
  'Shared, noisy machine: compare the ratios (ours vs. a baseline measured in the same run), not absolute figures.',
  '',
  table(outcomes),
  '',
].join('\n');

function table(rows: typeof outcomes): string {
  return ['| benchmark | what | outcome |', '| --- | --- | --- |', ...rows.map((o) => `| ${o.name} | ${o.issue} | ${o.summary} |`)].join(
    '\n',
  );
}

const text = `${header}\n${outcomes.map((o) => `${marker(o.name)}${o.section}`).join('\n')}`;
writeFileSync(RESULTS, text);
process.stdout.write(text);
process.stderr.write(`[bench] wrote ${RESULTS}\n`);
process.exitCode = outcomes.every((o) => o.ok) ? 0 : 1;
