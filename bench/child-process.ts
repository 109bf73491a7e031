/**
 * Child processes for the benchmarks: spawn, read stdout line by line, sample /proc for memory and
 * CPU, and stop them (each is killed at the end, whatever happened).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';

/** Clock ticks per second for /proc/PID/stat (USER_HZ: 100 on every Linux this runs on). */
const CLOCK_TICKS = 100;
const SAMPLE_MS = 50;
const TAIL_LINES = 40;

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Milliseconds from spawn to exit. */
  ms: number;
}

const alive = new Set<BenchChild>();

/** Kills every child still running (on the way out, also after a failure). */
export function killAllChildren(): void {
  for (const c of alive) c.kill('SIGKILL');
}

export class BenchChild {
  readonly child: ChildProcess;
  readonly startedAt = performance.now();
  readonly exited: Promise<Exit>;
  /** The last lines of stdout and stderr, for error messages. */
  readonly stdoutTail: string[] = [];
  readonly stderrTail: string[] = [];
  private peakKiB = 0;
  private readonly sampler: NodeJS.Timeout;
  private readonly listeners = new Set<(line: string) => void>();

  constructor(
    readonly name: string,
    args: string[],
    options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
  ) {
    this.child = spawn(process.execPath, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    alive.add(this);
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      keepTail(this.stdoutTail, line);
      for (const l of this.listeners) l(line);
    });
    createInterface({ input: this.child.stderr! }).on('line', (line) => keepTail(this.stderrTail, line));
    this.sampler = setInterval(() => this.samplePeak(), SAMPLE_MS);
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        const ms = performance.now() - this.startedAt;
        clearInterval(this.sampler);
        alive.delete(this);
        resolve({ code, signal, ms });
      });
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** Calls fn with every stdout line from now on; returns a function that stops it. */
  onLine(fn: (line: string) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Every JSON stdout line (the daemon's log records) from now on. */
  onRecord(fn: (rec: Record<string, unknown>, at: number) => void): () => void {
    return this.onLine((line) => {
      const at = performance.now();
      if (!line.startsWith('{')) return;
      try {
        fn(JSON.parse(line) as Record<string, unknown>, at);
      } catch {
        // not a log record
      }
    });
  }

  /** The first JSON record matching pred; rejects on exit or after timeoutMs. */
  waitForRecord(pred: (rec: Record<string, unknown>) => boolean, timeoutMs: number, what: string): Promise<Record<string, unknown>> {
    return this.waitFor((found) => this.onRecord((rec) => pred(rec) && found(rec)), timeoutMs, what);
  }

  /** The first stdout line matching pred; rejects on exit or after timeoutMs. */
  waitForLine(pred: (line: string) => boolean, timeoutMs: number, what: string): Promise<string> {
    return this.waitFor((found) => this.onLine((line) => pred(line) && found(line)), timeoutMs, what);
  }

  private waitFor<T>(subscribe: (found: (value: T) => void) => () => void, timeoutMs: number, what: string): Promise<T> {
    return new Promise((resolve, reject) => {
      let settled = false;
      const finish = (err: Error | undefined, value?: T): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        unsubscribe();
        if (err) reject(err);
        else resolve(value as T);
      };
      const timer = setTimeout(() => finish(new Error(`${this.name}: no ${what} within ${timeoutMs} ms${this.tail()}`)), timeoutMs);
      const unsubscribe = subscribe((value) => finish(undefined, value));
      void this.exited.then((e) => finish(new Error(`${this.name} exited (${e.code ?? e.signal}) before ${what}${this.tail()}`)));
    });
  }

  /** Highest VmHWM (peak resident set) seen while it ran, in MB (10^6 bytes). */
  peakRssMB(): number {
    this.samplePeak();
    return (this.peakKiB * 1024) / 1e6;
  }

  /** Current VmRSS in MB (0 once it has exited). */
  rssMB(): number {
    return (procStatusKiB(this.pid, 'VmRSS') * 1024) / 1e6;
  }

  /** user + system CPU seconds used so far. */
  cpuSeconds(): number {
    try {
      const stat = readFileSync(`/proc/${this.pid}/stat`, 'utf8');
      // Fields after the command name (which may hold spaces) start after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS; // utime, stime (fields 14, 15)
    } catch {
      return Number.NaN;
    }
  }

  /** Waits for exit; kills it after timeoutMs. Throws unless it exited with code 0. */
  async expectSuccess(timeoutMs: number): Promise<Exit> {
    const timer = setTimeout(() => this.kill('SIGKILL'), timeoutMs);
    const exit = await this.exited;
    clearTimeout(timer);
    if (exit.code !== 0)
      throw new Error(`${this.name} exited with ${exit.code ?? exit.signal} after ${Math.round(exit.ms)} ms${this.tail()}`);
    return exit;
  }

  /** SIGTERM, then SIGKILL after graceMs. */
  async stop(graceMs = 15_000): Promise<Exit> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.kill('SIGKILL'), graceMs);
      const exit = await this.exited;
      clearTimeout(timer);
      return exit;
    }
    return this.exited;
  }

  kill(signal: NodeJS.Signals): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }

  tail(): string {
    const lines = [...this.stderrTail.slice(-10), ...this.stdoutTail.slice(-5)];
    return lines.length > 0 ? `\n  ${lines.join('\n  ')}` : '';
  }

  private samplePeak(): void {
    this.peakKiB = Math.max(this.peakKiB, procStatusKiB(this.pid, 'VmHWM'));
  }
}

function keepTail(tail: string[], line: string): void {
  tail.push(line);
  if (tail.length > TAIL_LINES) tail.shift();
}

function procStatusKiB(pid: number, field: string): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}
