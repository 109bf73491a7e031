/** The OSS-compatible emulator: a real HTTP server that the unmodified ali-oss client talks to. */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, readdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { removeQuietly } from './atomic-file.js';
import { Authenticator } from './authenticator.js';
import { Bucket } from './bucket.js';
import { FaultInjector } from './fault-injector.js';
import { RequestLog, createEmulatorServer } from './emulator-server.js';
import type { ServerParts } from './emulator-server.js';
import type { Credential } from './types.js';

export type { FaultRule, RequestLogEntry } from './types.js';

export interface EmulatorOptions {
  dataDir: string;
  /** Default 0: a free port. */
  port?: number;
  /** Default '127.0.0.1'. */
  host?: string;
  /** Created at start if missing. */
  buckets: string[];
  credentials: Credential[];
  /** A request body idle this long is answered 400 RequestTimeout, as OSS does. Default 60 000, ali-oss's own timeout. */
  idleTimeoutMs?: number;
  /** Concurrent connections accepted; more are closed at once. Default 1024. */
  maxConnections?: number;
  /** The admin API's bearer token; default: a random one, read back from Emulator.adminToken. */
  adminToken?: string;
}

export interface Emulator {
  readonly port: number;
  /** 'http://127.0.0.1:PORT' */
  readonly endpoint: string;
  readonly faults: FaultInjector;
  readonly requestLog: RequestLog;
  /** What an admin call (`/-/faults`, `/-/requests`) must send as `Authorization: Bearer <token>`. */
  readonly adminToken: string;
  /** Accepts a temporary (STS) credential from now on: its token is checked, and refused once expired. */
  addCredential(credential: Credential): void;
  /** Closes the server and destroys open sockets (keep-alive and in flight). A second call waits for the first. */
  stop(): Promise<void>;
}

export class EmulatorConfigError extends Error {
  override readonly name = 'EmulatorConfigError';
}

/** Bodies still arriving. A name of our own: the data dir may be any directory (even `~`), its `tmp` someone else's. */
export const TEMP_DIR_NAME = '.oss-emulator-tmp';

/** The names tempFilePath() gives (uniqueSuffix() + '.part'). */
const TEMP_FILE_NAME = /^[0-9a-z]+-[0-9a-f]{12}\.part$/;

/** Creates the temp dir and removes the bodies a previous run left half received: our own file names only, never recursively. */
async function prepareTempDir(dataDir: string): Promise<string> {
  const dir = join(dataDir, TEMP_DIR_NAME);
  await mkdir(dir, { recursive: true });
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isFile() && TEMP_FILE_NAME.test(entry.name)) await removeQuietly(join(dir, entry.name));
  }
  return dir;
}

export const DEFAULT_IDLE_TIMEOUT_MS = 60_000;
export const DEFAULT_MAX_CONNECTIONS = 1024;

/** OSS's bucket naming rule (ali-oss's own check also lets '_' through; OSS refuses it). */
const BUCKET_NAME = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;

function checkOptions(options: EmulatorOptions): void {
  if (options.buckets.length === 0) throw new EmulatorConfigError('at least one bucket is required');
  for (const name of options.buckets) {
    if (!BUCKET_NAME.test(name))
      throw new EmulatorConfigError(
        `invalid bucket name '${name}': 3-63 lowercase letters, digits and '-', starting and ending with a letter or digit`,
      );
  }
  if (options.credentials.length === 0) throw new EmulatorConfigError('at least one credential is required');
  for (const { accessKeyId, accessKeySecret } of options.credentials) {
    if (!accessKeyId || !accessKeySecret) throw new EmulatorConfigError('every credential needs a non-empty access key id and secret');
  }
  if (options.adminToken !== undefined && !/^[\x21-\x7e]{16,}$/.test(options.adminToken)) {
    throw new EmulatorConfigError('the admin token must be at least 16 printable ASCII characters, without spaces');
  }
}

export async function startEmulator(options: EmulatorOptions): Promise<Emulator> {
  checkOptions(options);
  const host = options.host ?? '127.0.0.1';
  const tempDir = await prepareTempDir(options.dataDir);
  const buckets = new Map<string, Bucket>();
  for (const name of options.buckets) buckets.set(name, await Bucket.open(options.dataDir, name));

  const parts: ServerParts = {
    buckets,
    authenticator: new Authenticator(options.credentials),
    faults: new FaultInjector(),
    requestLog: new RequestLog(),
    tempDir,
    adminToken: options.adminToken ?? randomBytes(24).toString('base64url'),
    idleTimeoutMs: options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
    maxConnections: options.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
  };
  const server = createEmulatorServer(parts);
  server.listen(options.port ?? 0, host);
  await once(server, 'listening'); // rejects with the 'error' (EADDRINUSE) if that comes first
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  let stopped: Promise<void> | undefined;
  return {
    port,
    endpoint: `http://${urlHost}:${port}`,
    faults: parts.faults,
    requestLog: parts.requestLog,
    adminToken: parts.adminToken,
    addCredential: (credential) => parts.authenticator.add(credential),
    stop: () =>
      (stopped ??= new Promise((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      })),
  };
}
