import type { Config } from '../config/index.js';
import { terminalSafe as safe } from '../lib/terminal-text.js';
import { dryRun } from './once-dry-run.js';
import { bytes } from './status-view.js';

/** `once --dry-run`: one line per action on stdout, a summary on stderr; exit 0. */
export async function printDryRun(config: Config): Promise<number> {
  const report = await dryRun(config);
  for (const a of report.actions) {
    const size = a.action === 'upload' ? `  ${bytes(a.size)}` : '';
    process.stdout.write(`${a.action}  oss://${safe(a.bucket)}/${safe(a.key)}${size}\n`);
  }
  const uploads = report.actions.filter((a) => a.action === 'upload');
  const deletes = report.actions.length - uploads.length;
  const total = uploads.reduce((n, a) => n + a.size, 0);
  process.stderr.write(
    `oss-sync once --dry-run: would upload ${uploads.length} file(s) (${bytes(total)}) and delete ${deletes} object(s); nothing was sent or recorded\n`,
  );
  for (const s of report.skipped) process.stderr.write(`  folder ${safe(s.folder)} would not be synced: ${safe(s.reason)}\n`);
  if (report.unreadable > 0)
    process.stderr.write(`  ${report.unreadable} path(s) could not be read; nothing under them counts as deleted\n`);
  return 0;
}
