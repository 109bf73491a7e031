import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createTree } from '../helpers/fixtures.js';
import { createSyncFixture, type SyncFixture } from '../helpers/sync-fixture.js';

describe('a mirror folder never deletes remote objects of files that may still exist', () => {
  let fx: SyncFixture;
  afterEach(async () => fx?.cleanup());

  it('when the folder comes up empty (an unmounted disk leaves an empty mount point)', async () => {
    fx = await createSyncFixture([{ name: 'disk', delete_policy: 'mirror' }]);
    createTree(fx.folder('disk'), { 'a.txt': 'a', 'b/c.txt': 'c' });
    expect((await fx.spawnCli(['once', '--config', fx.configPath]).exited).code).toBe(0);
    renameSync(fx.folder('disk'), join(fx.root, 'on-the-unmounted-disk'));
    mkdirSync(fx.folder('disk')); // the bare mount point
    const again = fx.spawnCli(['once', '--config', fx.configPath]);
    expect((await again.exited).code).toBe(1); // and a cron job hears of it
    expect(again.stdout.join('\n')).toContain('nothing is treated as deleted');
    expect(again.stderr.join('\n')).toContain('not synced: the folder is empty, but files were backed up from it (unmounted disk?)');
    expect(await fx.remoteKeys('disk/')).toEqual(['disk/a.txt', 'disk/b/c.txt']);
  });

  it('when a file is newly excluded by the config', async () => {
    fx = await createSyncFixture([{ name: 'main', delete_policy: 'mirror' }]);
    createTree(fx.folder('main'), { 'app.log': 'log', 'keep.txt': 'k' });
    expect((await fx.spawnCli(['once', '--config', fx.configPath]).exited).code).toBe(0);
    fx.writeConfig([{ name: 'main', delete_policy: 'mirror', exclude: ['*.log'] }]);
    writeFileSync(join(fx.folder('main'), 'keep.txt'), 'k2');
    expect((await fx.spawnCli(['once', '--config', fx.configPath]).exited).code).toBe(0);
    expect(await fx.remoteKeys('main/')).toEqual(['main/app.log', 'main/keep.txt']);
    expect((await fx.remote('main/keep.txt'))?.toString()).toBe('k2');
  });

  // The prefix (or the folder's name) changed since the file went up: its old key may be another's now.
  it('when the object was written under a prefix the folder no longer has', async () => {
    fx = await createSyncFixture([{ name: 'main', delete_policy: 'mirror' }]);
    createTree(fx.folder('main'), { 'gone.txt': 'g', 'stays.txt': 's' });
    expect((await fx.spawnCli(['once', '--config', fx.configPath]).exited).code).toBe(0);
    fx.writeConfig([{ name: 'main', delete_policy: 'mirror', prefix: 'moved/' }]);
    rmSync(join(fx.folder('main'), 'gone.txt'));
    const again = fx.spawnCli(['once', '--config', fx.configPath]);
    expect((await again.exited).code, again.stderr.join('\n')).toBe(0);
    expect(again.stdout.join('\n')).toContain('not deleting a remote object this folder no longer writes');
    expect(await fx.remoteKeys()).toEqual(['main/gone.txt', 'main/stays.txt', 'moved/stays.txt']);
  });
});
