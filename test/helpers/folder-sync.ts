/** A FolderSync on its own, over a test's state database, for tests of one folder's logic. */
import type { FolderConfig } from '../../src/config/index.js';
import { FolderSync, type FolderSyncOptions } from '../../src/daemon/folder-sync.js';
import { PathFilter } from '../../src/daemon/watch/path-filter.js';
import { Logger } from '../../src/lib/logger.js';
import type { StateStore } from '../../src/store/index.js';

/** A folder's config as the loader would give it: everything at its default but what `fields` sets. */
export function folderConfig(fields: Pick<FolderConfig, 'name' | 'path'> & Partial<FolderConfig>): FolderConfig {
  return { bucket: 'b', prefix: '', include: [], exclude: [], deletePolicy: 'keep', partSize: 8 << 20, watcher: 'auto', ...fields };
}

/** A FolderSync that logs nothing, tells no one of work and throws an error with no other handling at the test. */
export function testFolderSync(store: StateStore, folder: FolderConfig, options: Partial<FolderSyncOptions> = {}): FolderSync {
  return new FolderSync(folder, {
    store,
    logger: new Logger({ level: 'error', write: () => undefined }),
    settleMs: 0,
    rescanIntervalMs: 60_000,
    walker: 'auto',
    stopSignal: new AbortController().signal,
    filter: new PathFilter({ include: folder.include, exclude: folder.exclude }),
    onWork: () => undefined,
    onRemoved: () => undefined,
    watch: false,
    onStoreError: (err, otherwise) => {
      if (!otherwise) throw err;
      otherwise();
    },
    ...options,
  });
}
