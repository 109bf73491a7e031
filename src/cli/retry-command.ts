import { existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { canonicalPath, type Config, type FolderConfig } from '../config/index.js';
import { terminalSafe } from '../lib/terminal-text.js';
import { StateStore } from '../store/index.js';
import { loadInspectConfig, parseCommandArgs, UsageError } from './args.js';

const RETRY_HELP = `usage: oss-sync retry [--config FILE] [PATH...]
       oss-sync retry --deletes [--config FILE] [FOLDER]

Puts failed files back in the queue (all of them, or those at or under each PATH). A PATH is a
file or directory inside a configured folder (symlinks resolved), or folder/path as status prints
it. A running daemon picks them up within seconds.

--deletes lets the remote deletes paused by max_deletes go ahead (all, or one folder's): their
objects are deleted from OSS. Files back on disk since are not deleted.
`;

export async function run(argv: string[]): Promise<number> {
  const args = parseCommandArgs(argv, RETRY_HELP, { deletes: { type: 'boolean' } }, true);
  if (!args) return 0;
  const { values, positionals } = args;
  const config = loadInspectConfig(values.config);
  const store = openExistingStore('retry', config, ': nothing to retry');
  if (!store) return 1;
  try {
    if (values.deletes) return releaseDeletes(store, config.folders, positionals);
    // Every PATH is checked before anything is queued: a bad one changes nothing.
    const targets = positionals.map((p) => retryTarget(config.folders, p));
    let total = positionals.length === 0 ? store.queue.retryFailed() : 0;
    for (const { folder, relPath } of targets) {
      total += relPath === '' ? store.queue.retryFailed({ folder }) : store.queue.retryFailed({ folder, relPaths: [relPath] });
    }
    process.stdout.write(`${total} failed file(s) queued again\n`);
    return 0;
  } finally {
    store.close();
  }
}

/**
 * The state database a command changes, or undefined (after saying so) when there is none: opening
 * would create an empty one, and a wrong --config or state_db would then seem to have worked.
 */
export function openExistingStore(command: string, config: Config, consequence = ''): StateStore | undefined {
  if (existsSync(config.stateDb)) return StateStore.open(config.stateDb);
  process.stderr.write(
    `oss-sync ${command}: no state database at ${terminalSafe(config.stateDb)} (state_db of ${terminalSafe(config.sourcePath)})` +
      `${consequence}; has the daemon run with this config?\n`,
  );
  return undefined;
}

/** `retry --deletes [FOLDER]`: held deletes go ahead, except of files that are back on disk (their holds are dropped). */
function releaseDeletes(store: StateStore, folders: ReadonlyArray<{ name: string; path: string }>, positionals: string[]): number {
  if (positionals.length > 1) throw new UsageError('--deletes: give at most one folder name');
  const only = positionals[0];
  if (only !== undefined && !folders.some((f) => f.name === only)) throw new UsageError(`--deletes: no folder named ${only} in the config`);
  for (const held of store.heldDeletes.list(Number.MAX_SAFE_INTEGER)) {
    const folder = folders.find((f) => f.name === held.folder);
    if (folder && existsSync(join(folder.path, held.relPath))) store.heldDeletes.drop(held.folder, [held.relPath]);
  }
  const released = store.heldDeletes.release(only);
  process.stdout.write(`${released} remote delete(s) released\n`);
  return 0;
}

/**
 * What a `retry` PATH names: a file or directory inside a folder, however it is spelled (relative,
 * through a symlink), or `folder/path` as `status` prints it. relPath '' is the whole folder.
 */
export function retryTarget(folders: readonly FolderConfig[], arg: string): { folder: string; relPath: string } {
  const abs = canonicalPath(resolve(arg));
  for (const folder of folders) {
    const root = canonicalPath(folder.path);
    if (abs === root || abs.startsWith(`${root}/`)) return { folder: folder.name, relPath: relative(root, abs) };
  }
  const slash = arg.indexOf('/');
  const named = folders.find((folder) => folder.name === (slash === -1 ? arg : arg.slice(0, slash)));
  if (named) return { folder: named.name, relPath: slash === -1 ? '' : arg.slice(slash + 1).replace(/\/+$/, '') };
  throw new UsageError(`${arg} is not inside any configured folder (give a path under one, or folder/path as status shows it)`);
}
