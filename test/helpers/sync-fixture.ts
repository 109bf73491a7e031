/**
 * A complete oss-sync setup for end-to-end tests: real emulator, real folders in a temp dir, a
 * config file, and the daemon either in this process or as a child process (`oss-sync run`) that
 * a test can kill -9.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { loadConfig } from '../../src/config/index.js';
import { Daemon } from '../../src/daemon/daemon.js';
import { Logger } from '../../src/lib/logger.js';
import { StateStore } from '../../src/store/index.js';
import type { ObjectStorage } from '../../src/uploader/index.js';
import { startTestEmulator, type TestEmulator } from './emulator.js';
import { tempDir } from './fixtures.js';
import { waitFor } from './wait.js';

export const CLI = join(import.meta.dirname, '../../dist/src/cli/main.js');

export interface FolderSpec {
  name: string;
  prefix?: string;
  delete_policy?: 'keep' | 'mirror';
  include?: string[];
  exclude?: string[];
  watcher?: 'auto' | 'chokidar' | 'native' | 'poll';
  /** Any other folder keys, written as given (e.g. server_side_encryption, tags, max_deletes). */
  more?: Record<string, unknown>;
}

export interface SyncFixture {
  root: string;
  emu: TestEmulator;
  configPath: string;
  stateDb: string;
  /** Absolute path of a folder by name. */
  folder(name: string): string;
  /** Rewrites the config (e.g. to add a folder before SIGHUP). */
  writeConfig(folders?: FolderSpec[], extra?: Record<string, unknown>): void;
  /** The remote object's bytes, or undefined if absent. */
  remote(key: string): Promise<Buffer | undefined>;
  /** Every remote key under a prefix. */
  remoteKeys(prefix?: string): Promise<string[]>;
  /** Opens the state database (close it after). */
  openStore(): StateStore;
  /** `storage` (e.g. a MemoryStorage) replaces the OSS client: for tests of the logic above it, not of uploading. */
  startDaemon(mode?: 'run' | 'once', options?: { storage?: ObjectStorage }): Promise<{ daemon: Daemon; logs: string[] }>;
  /** Runs the built CLI; `uid` runs it as another user (root only), e.g. to make mode 000 mean EACCES. */
  spawnCli(args: string[], env?: NodeJS.ProcessEnv, options?: { uid?: number }): CliProcess;
  cleanup(): Promise<void>;
}

export interface CliProcess {
  child: ChildProcess;
  stdout: string[];
  stderr: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the first JSON log record matching pred. */
  waitForLog(pred: (rec: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
}

export async function createSyncFixture(
  folders: FolderSpec[] = [{ name: 'main' }],
  extra: Record<string, unknown> = {},
  emulatorOptions: Parameters<typeof startTestEmulator>[0] = {},
): Promise<SyncFixture> {
  const dir = tempDir('oss-sync-e2e-');
  const emu = await startTestEmulator(emulatorOptions);
  const configPath = join(dir.path, 'config.yaml');
  const stateDb = join(dir.path, 'state', 'state.db');
  const running: Array<() => Promise<void>> = [];

  const fx: SyncFixture = {
    root: dir.path,
    emu,
    configPath,
    stateDb,
    folder: (name) => join(dir.path, 'folders', name),
    writeConfig(specs = folders, more = extra) {
      for (const f of specs) mkdirSync(fx.folder(f.name), { recursive: true });
      const config = {
        oss: {
          endpoint: emu.endpoint,
          access_key_id: emu.accessKeyId,
          access_key_secret: '${TEST_OSS_SECRET:-' + emu.accessKeySecret + '}',
          retry_max_time: '5s', // a request failing for good gives up soon, as tests wait for that
        },
        state_db: stateDb,
        log_level: 'debug',
        settle_time: '300ms',
        part_size: '100KiB',
        multipart_threshold: '256KiB',
        reconcile_schedule: 'off',
        shutdown_grace: '5s',
        ...more,
        folders: specs.map((f) => ({
          name: f.name,
          path: fx.folder(f.name),
          bucket: emu.bucket,
          prefix: f.prefix ?? `${f.name}/`,
          ...(f.delete_policy ? { delete_policy: f.delete_policy } : {}),
          ...(f.include ? { include: f.include } : {}),
          ...(f.exclude ? { exclude: f.exclude } : {}),
          ...(f.watcher ? { watcher: f.watcher } : {}),
          ...f.more,
        })),
      };
      writeFileSync(configPath, stringify(config));
    },
    async remote(key) {
      try {
        const r = await emu.client().get(key);
        return r.content as Buffer;
      } catch (err) {
        if ((err as { code?: string }).code === 'NoSuchKey') return undefined;
        throw err;
      }
    },
    async remoteKeys(prefix = '') {
      const keys: string[] = [];
      let marker: string | undefined;
      for (;;) {
        const r = await emu.client().list({ prefix, marker, 'max-keys': 1000 }, {});
        keys.push(...(r.objects ?? []).map((o) => o.name));
        if (!r.isTruncated) break;
        marker = r.nextMarker;
      }
      return keys.sort();
    },
    openStore: () => StateStore.open(stateDb),
    async startDaemon(mode = 'run', options = {}) {
      const logs: string[] = [];
      const config = loadConfig(configPath);
      const logger = new Logger({ level: 'debug', pretty: false, write: (l) => logs.push(l) });
      const daemon = await Daemon.start({ config, logger, version: 'test', mode, ...options });
      let stopped = false;
      running.push(async () => {
        if (!stopped) await daemon.stop();
      });
      const stop = daemon.stop.bind(daemon);
      daemon.stop = async () => {
        stopped = true;
        return stop();
      };
      return { daemon, logs };
    },
    spawnCli(args, env = {}, options = {}) {
      const child = spawn(process.execPath, [CLI, ...args], {
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
        ...(options.uid !== undefined ? { uid: options.uid, gid: options.uid } : {}),
      });
      const out: CliProcess = {
        child,
        stdout: [],
        stderr: [],
        // 'close', not 'exit': the child's last output lines have been read by then
        exited: new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal }))),
        waitForLog: (pred, timeoutMs = 30_000) =>
          waitFor(
            () =>
              out.stdout
                .map((l) => {
                  try {
                    return JSON.parse(l) as Record<string, unknown>;
                  } catch {
                    return undefined;
                  }
                })
                .find((r) => r !== undefined && pred(r)),
            { timeoutMs, what: 'a matching log line' },
          ),
      };
      collectLines(child.stdout!, out.stdout);
      collectLines(child.stderr!, out.stderr);
      running.push(async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGKILL');
          await out.exited;
        }
      });
      return out;
    },
    async cleanup() {
      for (const stop of running.reverse()) await stop().catch(() => undefined);
      await emu.stop();
      dir.remove();
    },
  };
  fx.writeConfig();
  return fx;
}

function collectLines(stream: NodeJS.ReadableStream, into: string[]): void {
  let buf = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      into.push(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
    }
  });
}
