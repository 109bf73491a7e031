export type BackendName = 'chokidar' | 'native' | 'rescan';

/**
 * One coalesced change, relative to the watched folder with '/' separators.
 * - changed: a file appeared or changed (feed it to the settle tracker; it may be gone already)
 * - removed: a file vanished
 * - dir-removed: a directory vanished; treat every file under relPath as removed
 */
export interface WatchEvent {
  kind: 'changed' | 'removed' | 'dir-removed';
  relPath: string;
}

/**
 * Listeners run synchronously; `batch` arrays are ordered oldest first and hold the latest event per
 * path, so apply them in order (a dir-removed followed by a changed under it is a recreated folder).
 * After `ready` (also re-emitted after a fallback, when a backend may have lost events, and every period of
 * the rescan backend, which has no events), `degraded` and `root-restored`, events may have been missed:
 * the daemon should run a reconcile walk.
 * While the root is missing no batches are delivered: an unmounted disk must not look like a mass delete.
 */
export interface FolderWatcherEvents {
  batch: [events: WatchEvent[]];
  ready: [backend: BackendName];
  error: [error: Error];
  /** message: one line for the log and `status`, with the fix */
  degraded: [message: string];
  'root-missing': [root: string];
  'root-restored': [root: string];
}

/** The one kind of folder watcher: a supervised backend (createFolderWatcher). */
export type { SupervisedWatcher as FolderWatcher } from './supervised-watcher.js';

/** Where a backend delivers what it sees; the supervising watcher coalesces and checks the root. */
export interface WatchSink {
  event(kind: WatchEvent['kind'], relPath: string): void;
  /** A runtime failure of the backend (watch limits included). */
  fail(error: unknown): void;
  /** Events may have been lost (a deletion the backend cannot report, a rescan's period): the owner should reconcile. */
  missed(): void;
}

/** One way of watching a folder. start() resolves once watching (a failure rejects it). */
export interface WatchBackend {
  start(): Promise<void>;
  close(): Promise<void>;
}
