/**
 * A real emulator on a free port with a fresh data dir, and real ali-oss clients for it.
 * Every test that talks OSS starts one of these and stops it in afterEach/afterAll.
 */
import { randomBytes } from 'node:crypto';
import OSS from 'ali-oss';
import { startEmulator } from '../../src/emulator/index.js';
import type { Emulator, RequestLogEntry } from '../../src/emulator/index.js';
import { tempDir } from './fixtures.js';

/** Options @types/ali-oss leaves out but the SDK honours. */
export interface ExtraClientOptions {
  sldEnable?: boolean;
  retryMax?: number;
}

export interface TestEmulator {
  emulator: Emulator;
  endpoint: string;
  bucket: string;
  accessKeyId: string;
  accessKeySecret: string;
  dataDir: string;
  /**
   * The admin API's token (`Authorization: Bearer <adminToken>` on /-/faults and /-/requests); the
   * same across restart(), so a child process given it once keeps working.
   */
  adminToken: string;
  /** A real ali-oss client for `bucket` (IP endpoint: the SDK puts the bucket in Host). */
  client(options?: Partial<OSS.Options> & ExtraClientOptions): OSS;
  /** Stop and start again on the same port and data dir. */
  restart(): Promise<void>;
  /** Stop and remove the data dir. */
  stop(): Promise<void>;
}

const ACCESS_KEY_ID = 'test-access-key-id';
const ACCESS_KEY_SECRET = 'test-access-key-secret';

export async function startTestEmulator(
  opts: { buckets?: string[]; idleTimeoutMs?: number; maxConnections?: number } = {},
): Promise<TestEmulator> {
  const buckets = opts.buckets ?? ['test-bucket'];
  const dir = tempDir('oss-sync-emulator-');
  const options = {
    dataDir: dir.path,
    buckets,
    credentials: [{ accessKeyId: ACCESS_KEY_ID, accessKeySecret: ACCESS_KEY_SECRET }],
    adminToken: randomBytes(24).toString('base64url'),
    ...(opts.idleTimeoutMs !== undefined ? { idleTimeoutMs: opts.idleTimeoutMs } : {}),
    ...(opts.maxConnections !== undefined ? { maxConnections: opts.maxConnections } : {}),
  };
  let emulator: Emulator;
  try {
    emulator = await startEmulator(options);
  } catch (err) {
    dir.remove();
    throw err;
  }
  let running = true;
  const port = emulator.port;

  const handle: TestEmulator = {
    get emulator() {
      return emulator;
    },
    endpoint: emulator.endpoint,
    bucket: buckets[0]!,
    accessKeyId: ACCESS_KEY_ID,
    accessKeySecret: ACCESS_KEY_SECRET,
    dataDir: dir.path,
    adminToken: options.adminToken,
    client(options = {}) {
      return new OSS({
        accessKeyId: ACCESS_KEY_ID,
        accessKeySecret: ACCESS_KEY_SECRET,
        bucket: buckets[0],
        endpoint: emulator.endpoint,
        ...options,
      } as OSS.Options);
    },
    async restart() {
      if (running) await emulator.stop();
      running = false;
      emulator = await startEmulator({ ...options, port });
      running = true;
    },
    async stop() {
      if (running) await emulator.stop();
      running = false;
      dir.remove();
    },
  };
  return handle;
}

/** The most of these requests the emulator was serving at one moment (from each one's arrival and duration). */
export function mostAtOnce(entries: readonly RequestLogEntry[]): number {
  const edges = entries.flatMap((e) => [
    { at: e.time, step: 1 },
    { at: e.time + e.durationMs, step: -1 },
  ]);
  edges.sort((a, b) => a.at - b.at || a.step - b.step); // an end before a start at the same moment
  let now = 0;
  let most = 0;
  for (const { step } of edges) most = Math.max(most, (now += step));
  return most;
}
