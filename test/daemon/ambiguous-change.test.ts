import { copyFileSync, renameSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createTree } from '../helpers/fixtures.js';
import { createSyncFixture, type SyncFixture } from '../helpers/sync-fixture.js';
import { waitFor } from '../helpers/wait.js';

describe('files whose metadata moved but whose content did not', () => {
  let fx: SyncFixture;
  afterEach(async () => fx?.cleanup());

  it('are checked by CRC-64 instead of being uploaded again; same-size edits still go up', async () => {
    fx = await createSyncFixture();
    const dir = fx.folder('main');
    createTree(dir, { 'touched.txt': 'same bytes', 'copied.txt': 'same bytes too', 'edited.txt': 'aaaa' });
    const first = await fx.startDaemon('once');
    await new Promise<void>((resolve) => first.daemon.once('idle', resolve));
    await first.daemon.stop();
    expect(await fx.remoteKeys('main/')).toHaveLength(3);

    utimesSync(join(dir, 'touched.txt'), new Date(), new Date(Date.now() + 60_000)); // mtime moves
    copyFileSync(join(dir, 'copied.txt'), join(dir, 'copied.new'));
    renameSync(join(dir, 'copied.new'), join(dir, 'copied.txt')); // new inode, same bytes
    writeFileSync(join(dir, 'edited.txt'), 'bbbb'); // same size, new content
    fx.emu.emulator.requestLog.clear();

    const second = await fx.startDaemon('once');
    await new Promise<void>((resolve) => second.daemon.once('idle', resolve));
    const store = second.daemon.store;
    await waitFor(() => ['touched.txt', 'copied.txt', 'edited.txt'].every((p) => store.queue.find('main', p)?.state === 'verified'), {
      what: 'all three verified',
    });
    const puts = fx.emu.emulator.requestLog
      .entries()
      .filter((e) => e.operation === 'PutObject')
      .map((e) => e.key);
    expect(puts).toEqual(['main/edited.txt']);
    expect((await fx.remote('main/edited.txt'))?.toString()).toBe('bbbb');
    expect(second.logs.filter((l) => l.includes('content unchanged')).length).toBe(2);
  });
});
