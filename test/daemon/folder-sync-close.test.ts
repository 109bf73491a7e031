import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FolderConfig } from '../../src/config/index.js';
import { FolderSync } from '../../src/daemon/folder-sync.js';
import { Logger } from '../../src/daemon/logger.js';
import { watchesOfProcess } from '../../src/daemon/watch/inotify-budget.js';
import { StateStore } from '../../src/store/index.js';
import { createTree, tempDir } from '../helpers/fixtures.js';

describe('FolderSync closed while it starts', () => {
  let dir: ReturnType<typeof tempDir>;
  let store: StateStore;
  beforeEach(() => {
    dir = tempDir();
    store = StateStore.open(join(dir.path, 'state.db'));
  });
  afterEach(() => {
    store.close();
    dir.remove();
  });

  it.each(['chokidar', 'native'] as const)('leaves no %s watcher running behind (a reload or stop that came first)', async (watcher) => {
    const root = join(dir.path, 'photos');
    createTree(root, { 'a/1.jpg': '1', 'b/2.jpg': '2' });
    const folder: FolderConfig = { name: 'photos', path: root, bucket: 'b', prefix: '', include: [], exclude: [], deletePolicy: 'keep', partSize: 8 << 20, watcher };
    const sync = new FolderSync(folder, {
      store,
      logger: new Logger({ level: 'error', write: () => undefined }),
      settleMs: 100,
      rescanIntervalMs: 60_000,
      ignoreAbsolute: [],
      ignore: [],
      onWork: () => undefined,
      watch: true,
    });
    const before = watchesOfProcess('self');
    const starting = sync.start(); // the watcher is being created...
    await sync.close(); // ...when the folder is closed
    await starting;
    expect(watchesOfProcess('self')).toBe(before);
  });
});
