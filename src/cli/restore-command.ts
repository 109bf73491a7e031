import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadConfig } from '../config/index.js';
import type { FolderConfig } from '../config/index.js';
import { restoreFailed, runRestore, type RestoreEntry, type RestoreEvent, type RestoreSummary } from '../daemon/restore/restore-run.js';
import { StateStore } from '../store/index.js';
import { createOssStorage, defaultRetryPolicy, withRetries } from '../uploader/index.js';
import { CONFIG_OPTION, parseCommandArgs, resolveConfigPath, UsageError } from './args.js';

export const RESTORE_HELP = `usage: oss-sync restore [--config FILE] --folder NAME [--to DIR] [PATH|GLOB...] [--overwrite] [--dry-run] [--json]

Downloads a folder's objects (all, or those at or under each PATH, or matching each GLOB, relative
to the folder) into DIR (default: the folder itself). Objects are fetched in parallel, large ones in
ranged parts; each file is written beside its target under a temporary name and renamed into place
only once the CRC-64 of the bytes written equals the object's. A killed restore resumes where it
stopped when run again (progress is kept in the state database). The file's mtime is set from the
x-oss-meta-mtime the uploader recorded.
  --to DIR       where to restore (created if missing)
  --overwrite    replace local files that differ from the object (never done without it)
  --dry-run      say what would be done; write nothing
  --json         one JSON document instead of the list
Keys that would land outside DIR ('..', absolute) are refused and named. Archive and ColdArchive
objects must be restored on OSS first (RestoreObject). Exit codes: 0 done, 1 a file failed, was
refused or conflicts with a local file, 2 bad usage or configuration.
`;

export async function runRestoreCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    argv,
    {
      ...CONFIG_OPTION,
      folder: { type: 'string' },
      to: { type: 'string' },
      overwrite: { type: 'boolean' },
      'dry-run': { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    true,
  );
  if (values.help) {
    process.stdout.write(RESTORE_HELP);
    return 0;
  }
  if (!values.folder) throw new UsageError('--folder NAME is required (which configured folder to restore)');
  const config = loadConfig(resolveConfigPath(values.config), process.env, { purpose: 'inspect' });
  const folder = findFolder(config.folders, values.folder);
  const toDir = resolve(values.to ?? folder.path);
  const dryRun = values['dry-run'] === true;
  if (!dryRun) mkdirSync(toDir, { recursive: true });
  const store = StateStore.open(config.stateDb);
  const storage = withRetries(createOssStorage(config.oss), defaultRetryPolicy({}));
  const progressLine = process.stderr.isTTY && !values.json ? new ProgressLine() : undefined;
  let summary: RestoreSummary;
  try {
    summary = await runRestore({
      storage,
      progress: store.restores,
      bucket: folder.bucket,
      prefix: folder.prefix,
      toDir,
      patterns: positionals,
      overwrite: values.overwrite === true,
      dryRun,
      filesInParallel: config.concurrency.files,
      download: {
        partSize: folder.partSize,
        rangedThreshold: config.multipartThreshold,
        partsInParallel: config.concurrency.partsPerFile,
        attempts: 3,
        ...(config.oss.timeoutMs !== undefined ? { timeoutMs: config.oss.timeoutMs } : {}),
      },
      onEvent: (e) => progressLine?.update(e),
    });
  } catch (err) {
    process.stderr.write(`oss-sync restore: cannot list oss://${folder.bucket}/${folder.prefix}: ${(err as Error).message}\n`);
    return 1;
  } finally {
    progressLine?.stop();
    store.close();
  }
  if (values.json) process.stdout.write(`${JSON.stringify({ folder: folder.name, to: toDir, dryRun, ...summary }, null, 2)}\n`);
  else process.stdout.write(formatSummary(summary, toDir, dryRun));
  return restoreFailed(summary) ? 1 : 0;
}

export function findFolder(folders: readonly FolderConfig[], name: string): FolderConfig {
  const folder = folders.find((f) => f.name === name);
  if (!folder) throw new UsageError(`--folder: no folder named '${name}' in the configuration (folders: ${folders.map((f) => f.name).join(', ')})`);
  return folder;
}

function formatSummary(summary: RestoreSummary, toDir: string, dryRun: boolean): string {
  const lines: string[] = [];
  const notable = summary.entries.filter((e) => e.action !== 'restored' && e.action !== 'unchanged');
  for (const e of dryRun ? summary.entries : notable) lines.push(formatEntry(e));
  const count = (a: RestoreEntry['action']) => summary.entries.filter((e) => e.action === a).length;
  const mib = (summary.bytes / 1048576).toFixed(1);
  if (dryRun) {
    lines.push(`\ndry run into ${toDir}: ${count('would restore')} to restore, ${count('would overwrite')} to overwrite, ${count('would check')} to compare, ${count('conflict')} conflict(s), ${count('refused')} refused`);
  } else {
    const resumed = summary.resumedBytes > 0 ? ` (${(summary.resumedBytes / 1048576).toFixed(1)} MiB resumed)` : '';
    lines.push(
      `${notable.length > 0 ? '\n' : ''}restored ${count('restored')} file(s), ${mib} MiB${resumed} into ${toDir}; ${count('unchanged')} already there; ` +
        `${count('conflict')} conflict(s), ${count('refused')} refused, ${count('failed')} failed`,
    );
  }
  return `${lines.join('\n')}\n`;
}

function formatEntry(e: RestoreEntry): string {
  return `${e.action.toUpperCase().padEnd(15)} ${e.key}${e.path ? ` -> ${e.path}` : ''}${e.detail ? `: ${e.detail}` : ''}`;
}

/** Files, bytes, rate and ETA on one terminal line (stderr), redrawn at most twice a second. */
class ProgressLine {
  private files = 0;
  private done = 0;
  private totalBytes = 0;
  private bytes = 0;
  private readonly started = Date.now();
  private readonly timer = setInterval(() => this.draw(), 500);

  update(e: RestoreEvent): void {
    if (e.type === 'planned') {
      this.files = e.files;
      this.totalBytes = e.bytes;
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
    process.stderr.write(
      `\r\x1b[K${this.done}/${this.files} files, ${(this.bytes / 1048576).toFixed(1)}/${(this.totalBytes / 1048576).toFixed(1)} MiB, ` +
        `${(rate / 1048576).toFixed(1)} MiB/s, ETA ${Math.ceil(eta)} s`,
    );
  }
}
