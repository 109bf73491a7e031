import { loadConfig, type Config } from '../config/index.js';
import { Daemon, type UnsyncedFolder } from '../daemon/daemon.js';
import { terminalSafe as safe } from '../lib/terminal-text.js';
import { StateStore } from '../store/index.js';
import { commandLogger } from './command-logger.js';
import { packageVersion, parseCommandArgs, resolveConfigPath } from './args.js';

const ONCE_HELP = `usage: oss-sync once [--config FILE] [--dry-run]

Reconciles every folder, uploads everything pending, and exits: 0 when all is uploaded, 1 with a
summary when some files failed or a folder could not be synced (its directory is missing, or an
error every upload of it would hit, such as a wrong secret or a missing bucket, paused it).
For cron jobs, systemd timers and scripts.
  --dry-run  list what would be uploaded or deleted, one line each; sends no request to OSS and
             leaves the state database as it is (the walk is compared with a temporary copy)
`;

export async function run(argv: string[]): Promise<number> {
  const args = parseCommandArgs(argv, ONCE_HELP, { 'dry-run': { type: 'boolean' } });
  if (!args) return 0;
  const { values } = args;
  const config = loadConfig(resolveConfigPath(values.config));
  if (values['dry-run']) return (await import('./once-dry-run.js')).printDryRun(config);
  const logger = commandLogger(config);
  // A stop request from the start on: one during start-up cuts short its waits (files settling),
  // and takes effect once the daemon is up.
  const startStop = new AbortController();
  let onStop = (): void => startStop.abort();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => onStop());
  const daemon = await Daemon.start({ config, logger, version: packageVersion(), mode: 'once', stopSignal: startStop.signal });
  // A fatal error pauses only its folder: the others are still synced, and the folder is reported.
  await new Promise<void>((resolve) => {
    daemon.once('idle', () => resolve());
    daemon.once('storeFailed', () => resolve());
    if (daemon.storeFailure) resolve(); // reported while start-up ran
    onStop = resolve;
    if (startStop.signal.aborted) resolve();
  });
  // Before the stop: stopping clears the folder health the reasons are read from.
  const unsynced = daemon.unsyncedFolders();
  const { settled } = await daemon.stop();
  const storeFailure = daemon.storeFailure;
  if (storeFailure) {
    process.stderr.write(
      `oss-sync once: the state database ${safe(config.stateDb)} cannot be written (${safe(storeFailure.message)}); stopped. ` +
        'What was recorded is kept: free space or fix the file system, then run again.\n',
    );
  }
  const code = storeFailure ? 1 : summarize(config, unsynced);
  // A transfer still running past the shutdown grace must not hold the process (it resumes next run).
  if (!settled) {
    process.stderr.write('oss-sync once: transfers still running after the shutdown grace were left to resume at the next run\n');
    process.exit(code);
  }
  return code;
}

/**
 * The run's outcome on stderr, read from the state database after the stop (so transfers that were
 * still finishing are counted); the exit code. Names and errors pass through safe(): a crafted file
 * name must not drive the terminal or forge a line.
 */
function summarize(config: Config, unsynced: UnsyncedFolder[]): number {
  const store = StateStore.open(config.stateDb);
  const folders = config.folders.map((f) => f.name);
  const counts = store.report.folderCounts().filter((c) => folders.includes(c.folder));
  const failed = store.report.problems(1000).filter((p) => !p.retrying && folders.includes(p.folder));
  store.close();
  const uploaded = counts.reduce((n, c) => n + c.verified, 0);
  const pending = counts.reduce((n, c) => n + c.queued + c.uploading + c.deleting, 0);
  if (unsynced.length > 0 || failed.length > 0 || pending > 0) {
    const notSynced = unsynced.length > 0 ? `, ${unsynced.length} folder(s) not synced` : '';
    process.stderr.write(`oss-sync once: ${failed.length} file(s) failed, ${pending} not done, ${uploaded} up to date${notSynced}\n`);
    for (const f of unsynced) process.stderr.write(`  folder ${safe(f.folder)} (${safe(f.path)}) not synced: ${safe(f.reason)}\n`);
    for (const f of failed.slice(0, 50))
      process.stderr.write(`  ${safe(`${f.folder}/${f.relPath}`)}: ${safe(f.lastError ?? 'unknown error')}\n`);
    if (failed.length > 50) process.stderr.write(`  ... and ${failed.length - 50} more (see 'oss-sync status')\n`);
    return 1;
  }
  process.stderr.write(`oss-sync once: done; ${uploaded} file(s) up to date\n`);
  return 0;
}
