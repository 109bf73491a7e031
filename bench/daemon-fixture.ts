/**
 * What the daemon benchmarks share: the emulator in its own process, oss-sync config files, file
 * trees, and the `oss-sync` command as a measured child process.
 */
import { randomBytes, randomFillSync } from 'node:crypto';
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { FaultRule, RequestLogEntry } from '../src/emulator/index.js';
import { BenchChild } from './child-process.js';

export const CLI = new URL('../src/cli/main.js', import.meta.url).pathname;
export const BUCKET = 'bench-daemon';
/** The one folder's name in every benchmark config. */
export const FOLDER_NAME = 'bench';
export const ACCESS_KEY_ID = 'bench-key-id';
export const ACCESS_KEY_SECRET = 'bench-key-secret';

export interface EmulatorProcess {
  endpoint: string;
  child: BenchChild;
  /** OSS requests the emulator has logged since the last clear, by operation (GET /-/requests). */
  requests(): Promise<Record<string, number>>;
  /** The same requests, as logged (body bytes received among them). */
  entries(): Promise<RequestLogEntry[]>;
  clearRequests(): Promise<void>;
  /** Adds fault rules (POST /-/faults); `times: Infinity` goes as JSON's "Infinity". */
  addFaults(rules: FaultRule[]): Promise<void>;
  clearFaults(): Promise<void>;
}

export function describeRequests(counts: Record<string, number>): string {
  const parts = Object.entries(counts).map(([op, n]) => `${op} ${n}`);
  return parts.length > 0 ? parts.join(', ') : 'none';
}

export function totalRequests(counts: Record<string, number>): number {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

export async function startEmulatorProcess(dataDir: string): Promise<EmulatorProcess> {
  const adminToken = randomBytes(24).toString('base64url');
  const admin = { authorization: `Bearer ${adminToken}` };
  const child = new BenchChild(
    'emulator',
    [CLI, 'emulator', '--port', '0', '--data-dir', dataDir, '--bucket', BUCKET, '--access-key-id', ACCESS_KEY_ID],
    {
      // The secret and the admin token go by environment, not argv (which `ps` shows to everyone).
      env: { ...process.env, OSS_EMULATOR_ACCESS_KEY_SECRET: ACCESS_KEY_SECRET, OSS_EMULATOR_ADMIN_TOKEN: adminToken },
    },
  );
  const line = await child.waitForLine((l) => l.startsWith('listening on '), 60_000, 'listening line');
  const endpoint = line.slice('listening on '.length).trim();
  const entries = async (): Promise<RequestLogEntry[]> =>
    (await (await fetch(`${endpoint}/-/requests`, { headers: admin })).json()) as RequestLogEntry[];
  return {
    endpoint,
    child,
    entries,
    async requests() {
      const counts: Record<string, number> = {};
      for (const e of await entries()) {
        const op = e.operation ?? `${e.method} ${e.path}`;
        counts[op] = (counts[op] ?? 0) + 1;
      }
      return counts;
    },
    async clearRequests() {
      await fetch(`${endpoint}/-/requests`, { method: 'DELETE', headers: admin });
    },
    async addFaults(rules) {
      const body = JSON.stringify(rules.map((r) => (r.times === Infinity ? { ...r, times: 'Infinity' } : r)));
      const res = await fetch(`${endpoint}/-/faults`, { method: 'POST', headers: { ...admin, 'content-type': 'application/json' }, body });
      if (res.status !== 201) throw new Error(`emulator refused the fault rules: ${res.status} ${await res.text()}`);
    },
    async clearFaults() {
      await fetch(`${endpoint}/-/faults`, { method: 'DELETE', headers: admin });
    },
  };
}

export interface ConfigSpec {
  endpoint: string;
  stateDb: string;
  folder: string;
  prefix: string;
  settle?: string;
  watcher?: 'auto' | 'chokidar' | 'native';
  /** concurrency.files; none: every concurrency setting at its default. */
  concurrency?: number;
  deletePolicy?: 'keep' | 'mirror';
}

/** An oss-sync config for one folder; the hourly rescan is off so it cannot land in a measurement. */
export function writeConfig(path: string, spec: ConfigSpec): void {
  const config = {
    oss: { endpoint: spec.endpoint, access_key_id: ACCESS_KEY_ID, access_key_secret: ACCESS_KEY_SECRET },
    state_db: spec.stateDb,
    log_level: 'info',
    ...(spec.concurrency === undefined ? {} : { concurrency: { files: spec.concurrency } }),
    settle_time: spec.settle ?? '2s',
    reconcile_schedule: 'off',
    watcher: spec.watcher ?? 'auto',
    folders: [{ name: FOLDER_NAME, path: spec.folder, bucket: BUCKET, prefix: spec.prefix, delete_policy: spec.deletePolicy ?? 'keep' }],
  };
  writeFileSync(path, stringify(config));
}

/** `files` random files of `bytes` each, spread over `dirs` directories (d0000/f000000.bin). */
export function makeTree(root: string, files: number, dirs: number, bytes: number): void {
  const buf = Buffer.alloc(bytes);
  for (let d = 0; d < dirs; d++) mkdirSync(join(root, dirName(d)), { recursive: true });
  for (let i = 0; i < files; i++) {
    randomFillSync(buf);
    writeFileSync(join(root, dirName(i % dirs), `f${String(i).padStart(6, '0')}.bin`), buf);
  }
}

/** A file of `bytes` random bytes, written 8 MiB at a time. */
export function writeRandomFile(path: string, bytes: number): void {
  const chunk = Buffer.allocUnsafe(8 * 1024 * 1024);
  const fd = openSync(path, 'w');
  try {
    for (let written = 0; written < bytes; written += chunk.length) {
      randomFillSync(chunk);
      writeSync(fd, chunk, 0, Math.min(chunk.length, bytes - written));
    }
  } finally {
    closeSync(fd);
  }
}

function dirName(d: number): string {
  return `d${String(d).padStart(4, '0')}`;
}

/** `oss-sync <command> --config <path>` as a measured child. */
export function ossSync(
  command: 'once' | 'run' | 'restore',
  configPath: string,
  env: NodeJS.ProcessEnv = {},
  args: string[] = [],
): BenchChild {
  return new BenchChild(`oss-sync ${command}`, [CLI, command, '--config', configPath, ...args], { env: { ...process.env, ...env } });
}
