import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Logger } from '../../src/lib/logger.js';
import { createTree } from '../helpers/fixtures.js';
import { folderConfig, testFolderSync } from '../helpers/folder-sync.js';
import { useStore } from '../helpers/store.js';
import { waitFor } from '../helpers/wait.js';

describe('FolderSync told by its watcher that events were missed', () => {
  const ctx = useStore();

  it('walks again after a walk under way, which may have passed what was missed', async () => {
    const root = join(ctx.dir, 'docs');
    createTree(root, { 'a.txt': 'a', 'sub/b.txt': 'b' });
    const reasons: string[] = [];
    const logger = new Logger({
      level: 'debug',
      write: (line) => {
        const record = JSON.parse(line) as { msg: string; reason?: string };
        if (record.msg === 'reconciled folder') reasons.push(record.reason!);
      },
    });
    const sync = testFolderSync(ctx.store, folderConfig({ name: 'docs', path: root, watcher: 'native' }), { watch: true, logger });
    try {
      await sync.start();
      const walking = sync.reconcile('scheduled');
      sync['watcher']!.emit('ready', 'native'); // a native refresh or a restored root, while that walk runs
      await walking;
      await waitFor(() => reasons.length >= 3, { what: `a walk after the scheduled one (walks: ${reasons.join(', ')})` });
      expect(reasons).toEqual(['start-up', 'scheduled', 'watcher restarted']);
    } finally {
      await sync.close();
    }
  });

  it('starts no walk after it was closed, though one was asked for while the last ran', async () => {
    const root = join(ctx.dir, 'docs');
    createTree(root, { 'a.txt': 'a' });
    const sync = testFolderSync(ctx.store, folderConfig({ name: 'docs', path: root, watcher: 'native' }), { watch: true });
    await sync.start();
    void sync.reconcile('scheduled');
    sync['watcher']!.emit('ready', 'native');
    await sync.close(); // waits for the scheduled walk; the one asked for after it must not start
    expect(sync['reconciling']).toBeUndefined();
  });
});
