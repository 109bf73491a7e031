import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Config } from '../config/index.js';
import { objectKey } from '../daemon/object-key.js';
import { walkerFromEnv } from '../daemon/reconcile-walk/reconcile-walk.js';
import { reconcileFolder } from '../daemon/reconciler.js';
import { folderFilter } from '../daemon/watch/path-filter.js';
import { terminalSafe as safe } from '../lib/terminal-text.js';
import { StateStore, type FileRow } from '../store/index.js';
import { bytes } from './status-view.js';

export type DryRunAction = Pick<FileRow, 'folder' | 'relPath' | 'bucket' | 'key' | 'size'> & { action: 'upload' | 'delete' };

export interface DryRunReport {
  actions: DryRunAction[];
  /** Folders `once` would not sync, and why (a missing root). */
  skipped: Array<{ folder: string; reason: string }>;
  /** Paths the walk could not read (nothing under them would be deleted). */
  unreadable: number;
}

/**
 * `once --dry-run`: what `once` would upload or delete, without a request to OSS and without a write
 * to the state database. The walk is compared (by the reconciler `once` runs) with a private copy of
 * the database, taken with SQLite's online backup (safe while a daemon writes it) into a temporary
 * directory that is removed afterwards; what the copy then holds as queued, interrupted or to be
 * deleted is the answer. Parked (failed) files are not listed: `once` does not retry them.
 */
export async function dryRun(config: Config): Promise<DryRunReport> {
  const dir = mkdtempSync(join(tmpdir(), 'oss-sync-dry-run-'));
  try {
    const copy = join(dir, 'state.db');
    if (existsSync(config.stateDb)) {
      const source = new Database(config.stateDb, { readonly: true, fileMustExist: true });
      try {
        await source.backup(copy);
      } finally {
        source.close();
      }
    }
    const store = StateStore.open(copy);
    try {
      return await compare(config, store);
    } finally {
      store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function compare(config: Config, store: StateStore): Promise<DryRunReport> {
  const report: DryRunReport = { actions: [], skipped: [], unreadable: 0 };
  const walker = walkerFromEnv();
  // By folder name (then path, filesOf's order): the order the output has always had.
  for (const folder of [...config.folders].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (!isDirectory(folder.path)) {
      report.skipped.push({ folder: folder.name, reason: 'folder is missing (unmounted disk?)' });
      continue;
    }
    const result = await reconcileFolder(store, folder, folderFilter(folder, config), { walker });
    report.unreadable += result.errorCount;
    // As FolderSync applies a walk's removals: a mirror folder deletes them, others forget them.
    if (folder.deletePolicy === 'mirror') store.queue.markForDeletion(folder.name, result.missing);
    else store.queue.forget(folder.name, result.missing);
    store.queue.forget(folder.name, result.excluded);
    const { name, bucket, prefix } = folder;
    for (const { state, relPath, size } of store.verify.filesOf(name)) {
      const action = state === 'deleting' ? 'delete' : 'upload';
      if (state === 'queued' || state === 'uploading' || state === 'deleting')
        report.actions.push({ action, folder: name, relPath, bucket, key: objectKey(prefix, relPath), size });
    }
  }
  return report;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

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
