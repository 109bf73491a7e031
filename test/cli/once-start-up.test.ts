/**
 * `oss-sync once` starts uploading while the start-up walk is still going, and yet only calls the
 * work done once every folder has been walked to its end.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createTree } from '../helpers/fixtures.js';
import { createSyncFixture, type SyncFixture } from '../helpers/sync-fixture.js';

describe('oss-sync once at start-up', () => {
  let fx: SyncFixture;
  afterEach(async () => fx?.cleanup());

  it('does not finish before the walk reaches files that come after a thousand empty directories', async () => {
    fx = await createSyncFixture([{ name: 'main' }]);
    const root = fx.folder('main');
    // The walk reads 1,000 entries per step: the first steps find directories only.
    for (let i = 0; i < 1_500; i++) mkdirSync(join(root, `empty-${String(i).padStart(4, '0')}`));
    createTree(root, { 'zz/late.txt': 'found after the empty directories' });
    const once = fx.spawnCli(['once', '--config', fx.configPath]);
    const { code } = await once.exited;
    expect(code, once.stderr.join('\n')).toBe(0);
    expect(await fx.remoteKeys()).toEqual(['main/zz/late.txt']);
  });
});
