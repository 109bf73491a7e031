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
export { createPathFilter, isTempFileName, PathFilter } from './path-filter.js';
export type { PathFilterOptions } from './path-filter.js';
export { SettleTracker } from './settle-tracker.js';
export type { SettledFile, SettleTrackerEvents, SettleTrackerOptions } from './settle-tracker.js';
export { countTree, TreeWalk, walkTree } from './tree-walker.js';
export type { WalkEntry, WalkError, WalkOptions } from './tree-walker.js';
export type { SimulatedLimit } from './watch-limit.js';
