import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { chooseBackend } from './backend-chooser.js';
import type { FolderWatcher, RequestedBackend } from './folder-watcher.js';
import { inotifyBudget } from './inotify-budget.js';
import { SupervisedWatcher } from './supervised-watcher.js';
import type { SupervisedWatcherOptions } from './supervised-watcher.js';
import { countTree } from './tree-walker.js';

export interface FolderWatcherOptions extends Omit<SupervisedWatcherOptions, 'backend' | 'requestedBackend'> {
  backend: RequestedBackend;
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
 * ran out), or at once with status().rootMissing when the folder is not there yet.
 */
export async function createFolderWatcher(root: string, options: FolderWatcherOptions): Promise<FolderWatcher> {
  const absoluteRoot = canonicalRoot(root);
  let backend = options.backend;
  if (backend === 'auto') {
    const counts = options.counts ?? countTree(absoluteRoot, options.filter);
    backend = chooseBackend({
      fileCount: counts.files,
      dirCount: counts.dirs,
      budget: inotifyBudget(),
      threshold: options.nativeThreshold,
    });
  }
  const watcher = new SupervisedWatcher(absoluteRoot, { ...options, backend, requestedBackend: options.backend });
  await watcher.start();
  return watcher;
}
