/**
 * The file-system side of the daemon: which files count (PathFilter), what is on disk (walkTree),
 * what changes (createFolderWatcher: chokidar, @parcel/watcher or rescans, one event shape) and
 * when a change is finished (SettleTracker).
 *
 * Per folder, in this order, so that nothing slips between the walk and the watch:
 *   const filter = createPathFilter({ include, exclude, ignoreAbsolute: [stateDb] });
 *   const watcher = await createFolderWatcher(root, { backend: 'auto', filter, counts });  // counts: last known, or omit
 *   watcher.on('batch', (events) => ...);            // one transaction per batch, applied in order
 *   for await (const batch of walkTree(root, filter)) ...;   // reconcile; duplicates with events are harmless
 * Reconcile again after 'ready' (re-emitted after a fallback), 'degraded' and 'root-restored'.
 */
export { chooseBackend, DEFAULT_NATIVE_THRESHOLD } from './backend-chooser.js';
export type { BackendChoice } from './backend-chooser.js';
export { createFolderWatcher } from './create-folder-watcher.js';
export type { FolderWatcherOptions } from './create-folder-watcher.js';
export type {
  BackendName,
  DegradedInfo,
  FolderWatcher,
  FolderWatcherEvents,
  RequestedBackend,
  WatchEvent,
  WatcherStatus,
} from './folder-watcher.js';
export { inotifyBudget, inotifyUsage } from './inotify-budget.js';
export type { InotifyUsage } from './inotify-budget.js';
export { createPathFilter, PathFilter } from './path-filter.js';
export type { PathFilterOptions } from './path-filter.js';
export { SettleTracker } from './settle-tracker.js';
export type { SettledFile, SettleTrackerEvents, SettleTrackerOptions } from './settle-tracker.js';
export { countTree, TreeWalk, walkTree } from './tree-walker.js';
export type { WalkEntry, WalkError, WalkOptions } from './tree-walker.js';
export type { SimulatedLimit } from './watch-limit.js';
