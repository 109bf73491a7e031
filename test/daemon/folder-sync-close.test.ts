import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { watchesOfProcess } from '../../src/daemon/watch/inotify-budget.js';
import { createTree } from '../helpers/fixtures.js';
import { folderConfig, testFolderSync } from '../helpers/folder-sync.js';
import { useStore } from '../helpers/store.js';

describe('FolderSync closed while it starts', () => {
  const ctx = useStore();

  it.each(['chokidar', 'native'] as const)('leaves no %s watcher running behind (a reload or stop that came first)', async (watcher) => {
    const root = join(ctx.dir, 'photos');
    createTree(root, { 'a/1.jpg': '1', 'b/2.jpg': '2' });
    const folder = folderConfig({ name: 'photos', path: root, watcher });
    const sync = testFolderSync(ctx.store, folder, { settleMs: 100, watch: true });
    const before = watchesOfProcess('self');
    const starting = sync.start(); // the watcher is being created...
    await sync.close(); // ...when the folder is closed
    await starting;
    expect(watchesOfProcess('self')).toBe(before);
  });
});
