import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { checkBucket, DEFAULTS, defaultStateDbPath, normaliseKeyPrefix, parseDuration } from '../config/index.js';
import type { Config, FolderConfig } from '../config/index.js';
import {
  restoreFailed,
  runRestore,
  type RestoreEntry,
  type RestoreEvent,
  type RestoreRunOptions,
  type RestoreSummary,
} from '../daemon/restore/restore-run.js';
import { parseRestoreTime } from '../daemon/restore/version-selection.js';
import { withStoreAndStorage } from './command-logger.js';
import { MemoryBudget } from '../uploader/index.js';
import { findFolder, flagValue, loadInspectConfig, parseCommandArgs, UsageError } from './args.js';
import { terminalSafe as safe } from '../lib/terminal-text.js';

const RESTORE_HELP = `usage: oss-sync restore [--config FILE] --folder NAME [--to DIR] [PATH|GLOB...] [--at TIME] [--overwrite] [--dry-run] [--json]
                        [--request-restore [--wait]]
       oss-sync restore --bucket NAME [--prefix P] --endpoint URL [--region R] [--state FILE] --to DIR [PATH|GLOB...] ...

Downloads a folder's objects (all, or those at or under each PATH, or matching each GLOB, relative
to the folder) into DIR (default: the folder itself). Objects are fetched in parallel, large ones in
ranged parts; each file is written beside its target under a temporary name and renamed into place
only once the CRC-64 of the bytes written equals the object's. A killed restore resumes where it
stopped when run again (progress is kept in the state database). The file's mtime is set from the
x-oss-meta-mtime the uploader recorded.
  --to DIR       where to restore (created if missing)
  --at TIME      restore the folder as it was at TIME (2026-12-04T10:00:00Z, local time without a zone,
                 or a date) from object versions: needs bucket versioning, enabled before TIME
  --overwrite    replace local files that differ from the object (never done without it)
  --dry-run      say what would be done; write nothing
  --json         one JSON document instead of the list
  --request-restore  Archive and ColdArchive objects: ask OSS to restore them (RestoreObject, all
                 at once, readable for --restore-days, default 1) and report them as REQUESTED
  --wait         with --request-restore: wait for each (HEAD every --poll-interval, default 1m;
                 OSS takes minutes for Archive, hours for ColdArchive), then download it
Without a configuration (a machine that lost it): --bucket, --prefix and --endpoint say where the
objects are, the AccessKey comes from $OSS_ACCESS_KEY_ID and $OSS_ACCESS_KEY_SECRET (and an STS
token from $OSS_SESSION_TOKEN), and the progress is kept in --state FILE (default: the user's
oss-sync state database).
Keys that would land outside DIR ('..', absolute) are refused and named. Archive and ColdArchive
objects must be restored on OSS first (--request-restore, or RestoreObject elsewhere). Exit codes:
0 done, 1 a file failed, was refused, conflicts with a local file or waits for its restore on OSS,
2 bad usage or configuration.
`;

const RESTORE_OPTIONS = {
  folder: { type: 'string' },
  bucket: { type: 'string' },
  prefix: { type: 'string' },
  endpoint: { type: 'string' },
  region: { type: 'string' },
  state: { type: 'string' },
  to: { type: 'string' },
  at: { type: 'string' },
  overwrite: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  json: { type: 'boolean' },
  'request-restore': { type: 'boolean' },
  wait: { type: 'boolean' },
  'restore-days': { type: 'string' },
  'poll-interval': { type: 'string' },
} as const;

type RestoreFlags = NonNullable<ReturnType<typeof parseCommandArgs<typeof RESTORE_OPTIONS>>>['values'];

/**
 * A restore is a batch job, run for its throughput; no one waits on its pauses. V8's incremental
 * marking started a mark-compact every ~20 MiB received (bench/NOTES.md); without it, V8 collects
 * only when the heap reaches its limit. V8 reads the flag as each collection starts.
 */
export function preferGcThroughput(): void {
  setFlagsFromString('--no-incremental-marking');
}

export async function run(argv: string[]): Promise<number> {
  const args = parseCommandArgs(argv, RESTORE_HELP, RESTORE_OPTIONS, true);
  if (!args) return 0;
  preferGcThroughput();
  const { values, positionals } = args;
  const at = values.at === undefined ? undefined : parseRestoreTime(values.at);
  if (values.at !== undefined && at === undefined)
    throw new UsageError(`--at: '${values.at}' is not a time (e.g. 2026-12-04T10:00:00Z, 2026-12-04 10:00, 2026-12-04)`);
  const thaw = thawOptions(values);
  const source = values.bucket !== undefined ? bareSource(values) : configuredSource(values);
  const { folder, config } = source;
  const toDir = resolve(values.to ?? folder.path);
  const dryRun = values['dry-run'] === true;
  if (!dryRun) mkdirSync(toDir, { recursive: true });
  const progressLine = process.stderr.isTTY && !values.json ? new ProgressLine() : undefined;
  // Restore prints only what the credentials provider warns of, not the configuration's warnings.
  const summary = await withStoreAndStorage({ ...config, logLevel: 'warn', warnings: [] }, (store, { storage }) =>
    runRestore({
      storage,
      progress: store.restores,
      bucket: folder.bucket,
      prefix: folder.prefix,
      toDir,
      patterns: positionals,
      overwrite: values.overwrite === true,
      dryRun,
      ...(at ? { at } : {}),
      filesInParallel: config.concurrency.files,
      smallFilesInParallel: config.concurrency.smallFiles,
      memory: new MemoryBudget(config.concurrency.memoryBytes),
      download: {
        partSize: folder.partSize,
        rangedThreshold: config.multipartThreshold,
        partsInParallel: config.concurrency.partsPerFile,
        attempts: 3,
        ...(config.oss.timeoutMs !== undefined ? { timeoutMs: config.oss.timeoutMs } : {}),
      },
      ...(thaw ? { thaw } : {}),
      onEvent: (e) => progressLine?.update(e),
    }).catch((err: Error) => {
      process.stderr.write(`oss-sync restore: cannot list oss://${folder.bucket}/${safe(folder.prefix)}: ${safe(err.message)}\n`);
      return undefined;
    }),
  ).finally(() => progressLine?.stop());
  if (!summary) return 1;
  if (values.json) process.stdout.write(`${JSON.stringify({ folder: folder.name, to: toDir, dryRun, ...summary }, null, 2)}\n`);
  else process.stdout.write(formatSummary(summary, toDir, dryRun));
  return restoreFailed(summary) ? 1 : 0;
}

/** --request-restore, --wait and their settings, checked. */
function thawOptions(values: RestoreFlags): RestoreRunOptions['thaw'] {
  if (!values['request-restore']) {
    for (const flag of ['wait', 'restore-days', 'poll-interval'] as const) {
      if (values[flag] !== undefined) throw new UsageError(`--${flag} goes with --request-restore`);
    }
    return undefined;
  }
  const daysText = values['restore-days'] ?? '1';
  const days = Number(daysText);
  if (!/^\d+$/.test(daysText) || days < 1 || days > 365)
    throw new UsageError(`--restore-days: expected 1 to 365 (days the restored copy stays readable), got '${daysText}'`);
  if (!values.wait) {
    if (values['poll-interval'] !== undefined) throw new UsageError('--poll-interval goes with --wait');
    return { days };
  }
  return { days, pollMs: flagValue('poll-interval', values['poll-interval'] ?? '1m', parseDuration) };
}

/** What restore needs of a configuration: where the objects are, how to reach them, where progress goes. */
interface RestoreSource {
  folder: Pick<FolderConfig, 'name' | 'path' | 'bucket' | 'prefix' | 'partSize'>;
  config: Pick<Config, 'oss' | 'stateDb' | 'concurrency' | 'multipartThreshold'>;
}

function configuredSource(values: RestoreFlags): RestoreSource {
  if (!values.folder)
    throw new UsageError('--folder NAME is required (which configured folder to restore), or --bucket NAME without a configuration');
  for (const flag of ['prefix', 'endpoint', 'region', 'state'] as const) {
    if (values[flag] !== undefined)
      throw new UsageError(`--${flag} goes with --bucket (no configuration); with --folder the configuration says it`);
  }
  const config = loadInspectConfig(values.config);
  return { folder: findFolder(config.folders, values.folder), config };
}

/** The --bucket form: everything from flags and the environment, defaults as a configuration would have them. */
function bareSource(values: RestoreFlags): RestoreSource {
  if (values.folder !== undefined || values.config !== undefined)
    throw new UsageError('--bucket is for a machine without configuration: give either --folder (and --config) or --bucket');
  const bucket = flagValue('bucket', values.bucket!, checkBucket);
  if (!values.endpoint) throw new UsageError('--endpoint URL is required with --bucket (e.g. https://oss-cn-hangzhou.aliyuncs.com)');
  if (!/^https?:\/\//.test(values.endpoint)) throw new UsageError(`--endpoint: '${values.endpoint}' needs its scheme (https://...)`);
  if (!values.to) throw new UsageError('--to DIR is required with --bucket (there is no configured folder to restore into)');
  const accessKeyId = process.env.OSS_ACCESS_KEY_ID;
  const accessKeySecret = process.env.OSS_ACCESS_KEY_SECRET;
  if (!accessKeyId || !accessKeySecret)
    throw new UsageError('with --bucket, the AccessKey comes from $OSS_ACCESS_KEY_ID and $OSS_ACCESS_KEY_SECRET: set both');
  // As a configuration's prefix: no empty, '.' or '..' segments, ending in '/' unless empty.
  const prefix = flagValue('prefix', values.prefix ?? '', normaliseKeyPrefix);
  const stateDb = values.state ?? defaultStateDbPath(process.env, process.getuid?.());
  if (!stateDb) throw new UsageError('--state FILE is required here (no HOME to keep the restore progress under)');
  const stsToken = process.env.OSS_SESSION_TOKEN;
  return {
    folder: { name: `oss://${bucket}/${prefix}`, path: resolve(values.to), bucket, prefix, partSize: DEFAULTS.partSize },
    config: {
      oss: {
        endpoint: values.endpoint,
        accessKeyId,
        accessKeySecret,
        authorizationV4: false,
        ...(values.region ? { region: values.region } : {}),
        ...(stsToken ? { stsToken } : {}),
      },
      stateDb: resolve(stateDb),
      concurrency: { ...DEFAULTS.concurrency },
      multipartThreshold: DEFAULTS.multipartThreshold,
    },
  };
}

function formatSummary(summary: RestoreSummary, toDir: string, dryRun: boolean): string {
  const lines: string[] = [];
  const notable = summary.entries.filter((e) => e.action !== 'restored' && e.action !== 'unchanged');
  for (const e of dryRun ? summary.entries : notable) lines.push(formatEntry(e));
  const count = (a: RestoreEntry['action']) => summary.entries.filter((e) => e.action === a).length;
  const mib = (summary.bytes / 1048576).toFixed(1);
  if (dryRun) {
    lines.push(
      `\ndry run into ${safe(toDir)}: ${count('would restore')} to restore, ${count('would overwrite')} to overwrite, ${count('would check')} to compare, ${count('conflict')} conflict(s), ${count('refused')} refused`,
    );
  } else {
    const resumed = summary.resumedBytes > 0 ? ` (${(summary.resumedBytes / 1048576).toFixed(1)} MiB resumed)` : '';
    lines.push(
      `${notable.length > 0 ? '\n' : ''}restored ${count('restored')} file(s), ${mib} MiB${resumed} into ${safe(toDir)}; ${count('unchanged')} already there; ` +
        `${count('conflict')} conflict(s), ${count('refused')} refused, ${count('failed')} failed` +
        (count('requested') > 0 ? `, ${count('requested')} waiting for their restore on OSS` : ''),
    );
  }
  return `${lines.join('\n')}\n`;
}

function formatEntry(e: RestoreEntry): string {
  // Keys, paths and details are written by others: shown escaped (terminal-text.ts); --json keeps them exact.
  return `${e.action.toUpperCase().padEnd(15)} ${safe(e.key)}${e.path ? ` -> ${safe(e.path)}` : ''}${e.detail ? `: ${safe(e.detail)}` : ''}`;
}

/** Files, bytes, rate and ETA on one terminal line (stderr), redrawn at most twice a second. */
class ProgressLine {
  private files = 0;
  private done = 0;
  private totalBytes = 0;
  /** Until the listing is done, the totals are those listed so far: marked '+', and no ETA. */
  private listed = false;
  private bytes = 0;
  private readonly started = Date.now();
  private readonly timer = setInterval(() => this.draw(), 500);

  update(e: RestoreEvent): void {
    if (e.type === 'planned') {
      this.files = e.files;
      this.totalBytes = e.bytes;
      this.listed = e.complete;
    } else if (e.type === 'bytes') this.bytes += e.n;
    else this.done++;
  }

  stop(): void {
    clearInterval(this.timer);
    process.stderr.write('\r\x1b[K');
  }

  private draw(): void {
    const seconds = (Date.now() - this.started) / 1000;
    const rate = this.bytes / Math.max(seconds, 0.001);
    const eta = rate > 0 ? Math.max(0, (this.totalBytes - this.bytes) / rate) : 0;
    const more = this.listed ? '' : '+';
    process.stderr.write(
      `\r\x1b[K${this.done}/${this.files}${more} files, ${(this.bytes / 1048576).toFixed(1)}/${(this.totalBytes / 1048576).toFixed(1)}${more} MiB, ` +
        `${(rate / 1048576).toFixed(1)} MiB/s, ${this.listed ? `ETA ${Math.ceil(eta)} s` : 'listing'}`,
    );
  }
}
