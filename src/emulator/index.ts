/** The OSS-compatible emulator: a real HTTP server that the unmodified ali-oss client talks to. */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { archiveRestores } from './archive-restore.js';
import { Authenticator } from './authenticator.js';
import { Bucket } from './bucket.js';
import { EmulatorServer } from './emulator-server.js';
import { FaultInjector } from './fault-injector.js';
import { RequestLog } from './request-log.js';
import type { Credential } from './types.js';

export type { FaultAction, FaultMatch, FaultRule, OssOperation, RequestLogEntry } from './types.js';
export { FaultInjector, InvalidFaultRuleError } from './fault-injector.js';
export { RequestLog } from './request-log.js';
export { faultRuleFromJson, faultRuleToJson } from './fault-rule-json.js';

export interface EmulatorOptions {
  dataDir: string;
  /** Default 0: a free port. */
  port?: number;
  /** Default '127.0.0.1'. */
  host?: string;
  /** Created at start if missing. */
  buckets: string[];
  credentials: Credential[];
  /** How long RestoreObject takes before an Archive/ColdArchive object can be read; default 1 s. */
  archiveRestoreDelayMs?: number;
}

export interface Emulator {
  readonly port: number;
  /** 'http://127.0.0.1:PORT' */
  readonly endpoint: string;
  readonly faults: FaultInjector;
  readonly requestLog: RequestLog;
  /** Closes the server and destroys open sockets. Safe to call more than once. */
  stop(): Promise<void>;
}

export class EmulatorConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EmulatorConfigError';
  }
}

/** OSS's bucket naming rule (ali-oss's own check also lets '_' through; OSS refuses it). */
const BUCKET_NAME = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;

function checkOptions(options: EmulatorOptions): void {
  if (options.buckets.length === 0) throw new EmulatorConfigError('at least one bucket is required');
  for (const name of options.buckets) {
    if (!BUCKET_NAME.test(name)) throw new EmulatorConfigError(`invalid bucket name '${name}': 3-63 lowercase letters, digits and '-', starting and ending with a letter or digit`);
  }
  if (options.credentials.length === 0) throw new EmulatorConfigError('at least one credential is required');
  for (const { accessKeyId, accessKeySecret } of options.credentials) {
    if (!accessKeyId || !accessKeySecret) throw new EmulatorConfigError('every credential needs a non-empty access key id and secret');
  }
}

export async function startEmulator(options: EmulatorOptions): Promise<Emulator> {
  checkOptions(options);
  const host = options.host ?? '127.0.0.1';
  const tempDir = join(options.dataDir, 'tmp');
  // Temp files are bodies that never completed: they must not survive into a new run.
  await rm(tempDir, { recursive: true, force: true });
  await mkdir(tempDir, { recursive: true });
  const buckets = new Map<string, Bucket>();
  for (const name of options.buckets) buckets.set(name, await Bucket.open(options.dataDir, name));
  if (options.archiveRestoreDelayMs !== undefined) for (const b of buckets.values()) archiveRestores(b).delayMs = options.archiveRestoreDelayMs;

  const faults = new FaultInjector();
  const requestLog = new RequestLog();
  const server = new EmulatorServer({ buckets, authenticator: new Authenticator(options.credentials), faults, requestLog, tempDir });
  const port = await server.listen(options.port ?? 0, host);
  const urlHost = host.includes(':') ? `[${host}]` : host;
  let stopped: Promise<void> | undefined;
  return {
    port,
    endpoint: `http://${urlHost}:${port}`,
    faults,
    requestLog,
    // Idempotent: a second stop waits for the first.
    stop: () => (stopped ??= server.close()),
  };
}
