import { CLEANUP_MIN_AGE_MS, DEFAULTS, parseDuration } from '../config/index.js';
import { abortRules, abortRulesXml, applyAbortRules } from '../daemon/abort-rules.js';
import { cleanUpStaleUploads, type StaleUploadEntry } from '../daemon/upload-cleanup.js';
import { terminalSafe as safe } from '../lib/terminal-text.js';
import { flagValue, loadInspectConfig, parseCommandArgs, UsageError } from './args.js';
import { commandStorage, withStoreAndStorage } from './command-logger.js';
import { table } from './status-view.js';

const CLEANUP_HELP = `usage: oss-sync cleanup [--config FILE] [--dry-run] [--older-than 7d] [--json]
       oss-sync cleanup [--config FILE] --lifecycle-rule | --apply-lifecycle [--days 30]

Aborts in-progress multipart uploads under each folder's prefix that nobody will finish, so they
stop costing storage: those the state database does not hold as resumable once older than
--older-than (default 7d, at least 1h), and its own whose file is gone. An upload the state
database can resume is never aborted; nothing outside the folders' prefixes is touched. Safe while
the daemon runs (which does the same daily).
  --dry-run      list key, initiated, parts and bytes, and what would be done; change nothing
  --older-than   age from which an unrecorded upload counts as stale (e.g. 12h, 7d)
  --json         one JSON document instead of the table
  --lifecycle-rule   print, per bucket, the OSS lifecycle rules that abort uploads left incomplete
                 for --days under each folder's prefix, so orphans cost nothing even without
                 oss-sync; no request is sent
  --apply-lifecycle  set those rules on each bucket (refused, and named, for a bucket holding
                 lifecycle rules of its own: merge the printed ones by hand there)
  --days         for the rules: longer than cleanup_older_than and than the daemon may be stopped,
                 as OSS then aborts even an upload oss-sync could resume (default 30)
Exit codes: 0 done, 1 an abort or a listing failed, 2 bad usage or configuration.
`;

export async function run(argv: string[]): Promise<number> {
  const args = parseCommandArgs(argv, CLEANUP_HELP, {
    'dry-run': { type: 'boolean' },
    'older-than': { type: 'string' },
    json: { type: 'boolean' },
    'lifecycle-rule': { type: 'boolean' },
    'apply-lifecycle': { type: 'boolean' },
    days: { type: 'string' },
  });
  if (!args) return 0;
  const { values } = args;
  if (values['lifecycle-rule'] || values['apply-lifecycle']) return lifecycle(values);
  if (values.days !== undefined) throw new UsageError('--days goes with --lifecycle-rule or --apply-lifecycle');
  const olderThanMs = parseOlderThan(values['older-than']);
  const config = loadInspectConfig(values.config);
  const dryRun = values['dry-run'] === true;
  const entries = await withStoreAndStorage(config, (store, { storage, logger }) =>
    cleanUpStaleUploads(
      { store, storage, logger, folders: config.folders, stopSignal: new AbortController().signal },
      { olderThanMs, dryRun },
    ).catch((err: Error) => {
      process.stderr.write(`oss-sync cleanup: cannot list multipart uploads: ${err.message}\n`);
      return undefined;
    }),
  );
  if (!entries) return 1;
  if (values.json) process.stdout.write(`${JSON.stringify({ dryRun, olderThanMs, uploads: entries }, null, 2)}\n`);
  else process.stdout.write(formatTable(entries, dryRun));
  return entries.some((e) => e.error !== undefined) ? 1 : 0;
}

async function lifecycle(values: { config?: string; days?: string; 'apply-lifecycle'?: boolean }): Promise<number> {
  const config = loadInspectConfig(values.config);
  const days = values.days === undefined ? 30 : Number(values.days);
  if (!Number.isInteger(days) || days < 1) throw new UsageError(`--days must be a whole number of days, got '${values.days}'`);
  if (days * 86_400_000 <= config.cleanupOlderThanMs) {
    throw new UsageError(
      `--days ${days} must be longer than cleanup_older_than in ${config.sourcePath}: the rule would abort uploads oss-sync still keeps`,
    );
  }
  const byBucket = abortRules(config.folders, days);
  if (!values['apply-lifecycle']) {
    for (const [bucket, rules] of byBucket) process.stdout.write(`# bucket ${bucket}\n${abortRulesXml(rules)}`);
    return 0;
  }
  const { storage, close } = commandStorage(config);
  let failed = 0;
  try {
    for (const [bucket, rules] of byBucket) {
      try {
        await applyAbortRules(storage, bucket, rules);
        process.stdout.write(`bucket ${bucket}: ${rules.length} rule(s) set: uploads incomplete for ${days} days are aborted by OSS\n`);
      } catch (err) {
        failed++;
        process.stderr.write(`oss-sync cleanup: ${(err as Error).message}\n`);
      }
    }
  } finally {
    close();
  }
  return failed > 0 ? 1 : 0;
}

function parseOlderThan(raw: string | undefined): number {
  if (raw === undefined) return DEFAULTS.cleanupOlderThanMs;
  const ms = flagValue('older-than', raw, parseDuration);
  if (ms < CLEANUP_MIN_AGE_MS)
    throw new UsageError(`--older-than must be at least 1h (an upload younger than that may be starting right now), got '${raw}'`);
  return ms;
}

function formatTable(entries: StaleUploadEntry[], dryRun: boolean): string {
  if (entries.length === 0) return 'no multipart uploads in progress under the configured prefixes\n';
  const verb = (e: StaleUploadEntry) => (e.action === 'keep' ? 'keep' : e.error ? 'FAILED' : dryRun ? 'would abort' : 'aborted');
  const rows = entries.map((e) => [
    verb(e),
    e.folder,
    safe(`oss://${e.bucket}/${e.key}`),
    e.initiated,
    String(e.parts ?? '?'),
    String(e.bytes ?? '?'),
    safe(e.error ?? e.reason),
  ]);
  const aborted = entries.filter((e) => e.action === 'abort' && !e.error);
  const bytes = aborted.reduce((sum, e) => sum + (e.bytes ?? 0), 0);
  const summary = `${aborted.length} upload(s) ${dryRun ? 'would be' : 'were'} aborted (${bytes} bytes), ${entries.length - aborted.length} kept`;
  return `${table(['ACTION', 'FOLDER', 'KEY', 'INITIATED', 'PARTS', 'BYTES', 'WHY'], rows).join('\n')}\n\n${summary}\n`;
}
