import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FolderConfig } from '../../src/config/index.js';
import { FolderSync } from '../../src/daemon/folder-sync.js';
import { Logger } from '../../src/lib/logger.js';
import { watchesOfProcess } from '../../src/daemon/watch/inotify-budget.js';
import { createTree } from '../helpers/fixtures.js';
import { useStore } from '../helpers/store.js';

describe('FolderSync closed while it starts', () => {
  const ctx = useStore();

  it.each(['chokidar', 'native'] as const)('leaves no %s watcher running behind (a reload or stop that came first)', async (watcher) => {
    const root = join(ctx.dir, 'photos');
    createTree(root, { 'a/1.jpg': '1', 'b/2.jpg': '2' });
    const folder: FolderConfig = {
      name: 'photos',
      path: root,
      bucket: 'b',
      prefix: '',
      include: [],
      exclude: [],
      deletePolicy: 'keep',
      partSize: 8 << 20,
      watcher,
    };
    const sync = new FolderSync(folder, {
      store: ctx.store,
      logger: new Logger({ level: 'error', write: () => undefined }),
      settleMs: 100,
      rescanIntervalMs: 60_000,
      walker: 'auto',
      stopSignal: new AbortController().signal,
      ignoreAbsolute: [],
      ignore: [],
      onWork: () => undefined,
      onRemoved: () => undefined,
      watch: true,
      onStoreError: (err) => {
        throw err;
      },
    });
    const before = watchesOfProcess('self');
    const starting = sync.start(); // the watcher is being created...
    await sync.close(); // ...when the folder is closed
    await starting;
    expect(watchesOfProcess('self')).toBe(before);
  });
});
