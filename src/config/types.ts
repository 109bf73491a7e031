import type { Sample } from '../lib/sample.js';
/** The resolved configuration the daemon codes against: every default applied, every path absolute. */

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
/** poll: no change events at all, a rescan every rescan_interval (network shares, where events do not arrive). */
export const WATCHERS = ['auto', 'chokidar', 'native', 'poll'] as const;
export const DELETE_POLICIES = ['keep', 'mirror'] as const;
export const STORAGE_CLASSES = ['Standard', 'IA', 'Archive', 'ColdArchive', 'DeepColdArchive'] as const;
/** OSS server-side encryption: OSS-managed AES-256, KMS-managed keys, or SM4. */
export const ENCRYPTION_ALGORITHMS = ['AES256', 'KMS', 'SM4'] as const;

export const CREDENTIAL_PROVIDERS = ['static', 'file', 'credentials_uri', 'process', 'ecs_ram_role', 'assume_role'] as const;

/** oss.credentials: where renewing credentials come from (see credentials-section.ts). Never holds a secret. */
export type CredentialsSource =
  | { provider: 'static' }
  | { provider: 'file'; path: string }
  | { provider: 'credentials_uri'; uri: string }
  | { provider: 'process'; command: string[]; timeoutMs: number }
  | { provider: 'ecs_ram_role'; roleName?: string; metadataEndpoint: string; hardenedOnly: boolean }
  | {
      provider: 'assume_role';
      roleArn: string;
      roleSessionName: string;
      durationSeconds: number;
      policy?: string;
      stsEndpoint: string;
      base: CredentialsSource;
    };

type WatcherKind = (typeof WATCHERS)[number];

export interface OssConfig {
  endpoint: string;
  region?: string;
  accessKeyId: string;
  accessKeySecret: string;
  stsToken?: string;
  /** Absent or static: the keys above. Any other provider: they are empty and the daemon asks it (daemon/credentials). */
  credentials?: CredentialsSource;
  authorizationV4: boolean;
  timeoutMs?: number;
  /** How long one request keeps retrying before its error goes to the caller; undefined = the uploader's default. */
  retryMaxTimeMs?: number;
}

export interface Config {
  /** Absolute path of the config file. */
  sourcePath: string;
  oss: OssConfig;
  /** Absolute. */
  stateDb: string;
  logLevel: (typeof LOG_LEVELS)[number];
  concurrency: {
    /** Files in flight at once; files below the multipart threshold have smallFiles of their own. */
    files: number;
    /** Small files (below the multipart threshold) in flight at once (concurrency.small_files). */
    smallFiles: number;
    partsPerFile: number;
    /** Bytes: every part held in memory by every upload at once stays within this (concurrency.memory). */
    memoryBytes: number;
  };
  /** Bytes. */
  partSize: number;
  /** Bytes: files at least this large are uploaded in parts. */
  multipartThreshold: number;
  settleMs: number;
  /** How often a folder whose watcher fell back to rescans (watch limits) is walked. */
  rescanIntervalMs: number;
  /** Cron expression (5 or 6 fields); null = reconcile at start-up only. */
  reconcileSchedule: string | null;
  /** Cron expression for `run`'s pass over stale multipart uploads (as `oss-sync cleanup`); null = never. */
  cleanupSchedule: string | null;
  /** Cron expression for `run`'s verify of every folder (as `oss-sync verify`); null (the default) = never. */
  verifySchedule: string | null;
  /** What a scheduled verify checks by CRC-64 besides the listing (as --checksum --sample); null = the listing only. */
  verifySample: Sample | null;
  /** Unrecorded multipart uploads at least this old are aborted by cleanup. */
  cleanupOlderThanMs: number;
  watcher: WatcherKind;
  /** Attempts per file before it is parked as failed. */
  maxAttempts: number;
  shutdownGraceMs: number;
  /** Ignore patterns for every folder: TEMP_FILE_GLOBS (src/lib/path-globs.ts) followed by the config's `ignore:` list. */
  ignore: string[];
  folders: FolderConfig[];
  /** The status page and /metrics listener; undefined = off. */
  http?: HttpConfig;
  /** Webhook and ping alerts; undefined = off. */
  notify?: NotifyConfig;
  /** Upload windows and bandwidth by schedule (`timetable:`); null = always open, unlimited. */
  timetable: TimetableConfig | null;
  /** Things the daemon should log at start-up (never contain a secret's value). */
  warnings: string[];
}

export interface FolderConfig {
  /** Unique id used in the state DB and status output. */
  name: string;
  /** Absolute. */
  path: string;
  bucket: string;
  /** No leading '/', ends with '/' unless empty. */
  prefix: string;
  /** Globs relative to the folder; empty = everything. */
  include: string[];
  /** Globs relative to the folder; Config.ignore applies on top. */
  exclude: string[];
  deletePolicy: (typeof DELETE_POLICIES)[number];
  /** Bytes: the folder's override or the global value. */
  partSize: number;
  storageClass?: (typeof STORAGE_CLASSES)[number];
  /** x-oss-server-side-encryption on every new object (PutObject, InitiateMultipartUpload); kmsKeyId with KMS only. */
  encryption?: { algorithm: (typeof ENCRYPTION_ALGORITHMS)[number]; kmsKeyId?: string };
  /** x-oss-tagging on every new object: at most 10, keys up to 128 and values up to 256 characters. */
  tags?: Record<string, string>;
  watcher: WatcherKind;
  /** Mirror folders: remote deletes allowed in one pass (plus those pending) before deletes pause; a count, or a share of the files. */
  maxDeletes?: { count: number } | { share: number };
  /** Mirror folders: how long (ms) a remote delete waits; a file back meanwhile cancels it. 0: none. */
  deleteDelayMs?: number;
}

export type ListenAddress = { kind: 'tcp'; host: string; port: number; loopback: boolean } | { kind: 'unix'; path: string };

export interface HttpConfig {
  listen: ListenAddress;
  /** Bearer token (secret): required for actions, and for everything when set. */
  token?: string;
  /** Basic auth instead of a token (password is secret). */
  basicAuth?: { user: string; password: string };
}

export interface NotifyConfig {
  /** JSON POST on a parked file, a paused or resumed folder, a state database failure (secret: may carry a token). */
  webhookUrl?: string;
  /** GET after each successful reconcile (healthchecks.io style; secret). */
  pingUrl?: string;
}

export const CUTOFF_MODES = ['soft', 'hard'] as const;

/** One `timetable.entries` item: from each minute `at` matches, the settings it names hold. */
export interface TimetableEntry {
  /** Cron expression (5 or 6 fields), in the timetable's time zone. */
  at: string;
  uploads?: 'open' | 'closed';
  /** Bytes per second of request bodies over all requests; null = unlimited. */
  bandwidth?: number | null;
}

export interface TimetableConfig {
  /** IANA name; undefined = the machine's. */
  timeZone: string | undefined;
  /** soft: parts in flight when a window closes finish; hard: they are cut off (and resume later). */
  cutoff: (typeof CUTOFF_MODES)[number];
  /** Also send OSS's own per-request cap (x-oss-traffic-limit) while a limit holds. */
  ossTrafficLimit: boolean;
  entries: TimetableEntry[];
}
