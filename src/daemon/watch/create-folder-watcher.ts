import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import type { BackendName, FolderWatcher } from './folder-watcher.js';
import { inotifyBudget } from './inotify-budget.js';
import { SupervisedWatcher } from './supervised-watcher.js';
import type { SupervisedWatcherOptions } from './supervised-watcher.js';
import { countTree } from './tree-walker.js';

export interface FolderWatcherOptions extends Omit<SupervisedWatcherOptions, 'backend'> {
  backend: BackendName | 'auto';
  /** auto: above this many files, native; default 20,000. */
  nativeThreshold?: number;
  /** auto: counts the daemon already has (last walk, or the DB); otherwise counted by readdir here. */
  counts?: { files: number; dirs: number };
}

function canonicalRoot(root: string): string {
  const absolute = resolve(root);
  try {
    return realpathSync(absolute); // watchers report real paths; a symlinked root must match them
  } catch {
    return absolute; // missing for now: the watcher waits for it
  }
}

/**
 * Watches one folder. Resolves once the backend is watching (after a fallback to rescans if inotify
 * ran out), or at once when the folder is not there yet.
 */
export async function createFolderWatcher(root: string, options: FolderWatcherOptions): Promise<FolderWatcher> {
  const absoluteRoot = canonicalRoot(root);
  let backend = options.backend;
  if (backend === 'auto') {
    const { files, dirs } = options.counts ?? countTree(absoluteRoot, options.filter);
    backend = chooseBackend({ fileCount: files, dirCount: dirs, budget: inotifyBudget(), threshold: options.nativeThreshold });
  }
  const watcher = new SupervisedWatcher(absoluteRoot, { ...options, backend });
  await watcher.start();
  return watcher;
}

/** Above this many files chokidar's start-up (11-14 s and ~545 MB at 100,000 files) is not worth it. */
export const DEFAULT_NATIVE_THRESHOLD = 20_000;

export interface BackendChoice {
  fileCount: number;
  /** Unknown counts as 0 (the budget keeps a margin). */
  dirCount?: number;
  /** inotify watches still available (inotifyBudget()). */
  budget: number;
  threshold?: number;
}

/**
 * Picks the backend for a folder watched with `auto`: native (one inotify watch per directory) when the
 * folder holds more than `threshold` files or chokidar's one watch per file and directory would not fit
 * the inotify budget; and rescans when not even one watch per directory fits.
 */
export function chooseBackend({ fileCount, dirCount = 0, budget, threshold = DEFAULT_NATIVE_THRESHOLD }: BackendChoice): BackendName {
  const nativeWatches = dirCount + 1; // the root is a directory too
  if (nativeWatches > budget) return 'rescan';
  if (fileCount > threshold || fileCount + nativeWatches > budget) return 'native';
  return 'chokidar';
}
