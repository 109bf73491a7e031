/**
 * `once --dry-run`: what would be uploaded or deleted, from a real walk and a real state database,
 * with no request to OSS and no change to the database.
 */
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { dryRun } from '../../src/cli/once-dry-run.js';
import { createTree } from '../helpers/fixtures.js';
import { createSyncFixture, type SyncFixture } from '../helpers/sync-fixture.js';
import { waitFor } from '../helpers/wait.js';

describe('once --dry-run', () => {
  let fx: SyncFixture;
  afterEach(async () => fx?.cleanup());

  function fileRows(): unknown[] {
    const store = fx.openStore();
    try {
      return store.report.folderCounts();
    } finally {
      store.close();
    }
  }

  it('lists the uploads and mirror deletes once would do, sending nothing and recording nothing', async () => {
    fx = await createSyncFixture([{ name: 'main', delete_policy: 'mirror' }]);
    createTree(fx.folder('main'), { 'a.txt': 'alpha', 'b.txt': 'beta', 'keep.txt': 'same' });
    const { daemon } = await fx.startDaemon('once');
    await waitFor(async () => (await fx.remoteKeys('main/')).length === 3, { what: 'the first sync' });
    await daemon.stop();

    rmSync(join(fx.folder('main'), 'a.txt'));
    writeFileSync(join(fx.folder('main'), 'b.txt'), 'beta, longer now');
    createTree(fx.folder('main'), { 'sub/c.txt': 'gamma' });
    fx.emu.emulator.requestLog.clear();
    const before = fileRows();
    const dbHash = createHash('sha256').update(readFileSync(fx.stateDb)).digest('hex');

    const report = await dryRun(loadConfig(fx.configPath));

    expect(report.actions.map((a) => `${a.action} ${a.key} ${a.size}`)).toEqual([
      'delete main/a.txt 5',
      'upload main/b.txt 16',
      'upload main/sub/c.txt 5',
    ]);
    expect(fx.emu.emulator.requestLog.entries()).toEqual([]);
    expect(fileRows()).toEqual(before);
    expect(createHash('sha256').update(readFileSync(fx.stateDb)).digest('hex')).toBe(dbHash);
    expect(await fx.remoteKeys('main/')).toEqual(['main/a.txt', 'main/b.txt', 'main/keep.txt']);
  });

  it('works before the first run (no state database yet) and names a missing folder', async () => {
    fx = await createSyncFixture([{ name: 'main' }, { name: 'gone' }]);
    createTree(fx.folder('main'), { 'x.bin': 'xyz' });
    const config = loadConfig(fx.configPath);
    rmSync(fx.folder('gone'), { recursive: true });
    const report = await dryRun(config);
    expect(report.actions.map((a) => `${a.action} ${a.key}`)).toEqual(['upload main/x.bin']);
    expect(report.skipped).toEqual([{ folder: 'gone', reason: 'folder is missing (unmounted disk?)' }]);
    expect(fx.emu.emulator.requestLog.entries()).toEqual([]);
    expect(() => readFileSync(fx.stateDb)).toThrow(/ENOENT/);
  });
});
