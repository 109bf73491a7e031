import type { BackendName, RequestedBackend } from './folder-watcher.js';

/** Above this many files chokidar's start-up (11-14 s and ~545 MB at 100,000 files) is not worth it. */
export const DEFAULT_NATIVE_THRESHOLD = 20_000;

export interface BackendChoice {
  /** Files the folder holds (from the start-up walk or the store). */
  fileCount: number;
  /** Its directories; unknown counts as 0 (the budget keeps a margin). */
  dirCount?: number;
  /** inotify watches still available (inotifyBudget()). */
  budget: number;
  requested?: RequestedBackend;
  /** auto: above this many files, native; default 20,000. */
  threshold?: number;
}

/**
 * Picks the backend for one folder. An explicit request wins. `auto` picks native (one inotify watch per
 * directory) when the folder holds more than `threshold` files or chokidar's one watch per file and
 * directory would not fit the inotify budget; and rescans when not even one watch per directory fits.
 */
export function chooseBackend({
  fileCount,
  dirCount = 0,
  budget,
  requested = 'auto',
  threshold = DEFAULT_NATIVE_THRESHOLD,
}: BackendChoice): BackendName {
  if (requested !== 'auto') return requested;
  const nativeWatches = dirCount + 1; // the root is a directory too
  if (nativeWatches > budget) return 'rescan';
  if (fileCount > threshold || fileCount + nativeWatches > budget) return 'native';
  return 'chokidar';
}
