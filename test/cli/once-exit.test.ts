/**
 * `oss-sync once` exits 1, naming the folder and why, when a folder could not be synced, while the
 * other folders are still uploaded.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { createTree } from '../helpers/fixtures.js';
import { createSyncFixture, type SyncFixture } from '../helpers/sync-fixture.js';
import { waitFor } from '../helpers/wait.js';

describe('oss-sync once and a folder it cannot sync', () => {
  let fx: SyncFixture;
  afterEach(async () => fx?.cleanup());

  it('exits 1 naming a folder whose directory is gone when the run reaches it, and uploads the others', async () => {
    fx = await createSyncFixture([{ name: 'main' }, { name: 'gone' }]);
    createTree(fx.folder('main'), { 'a.txt': 'a' });
    createTree(fx.folder('gone'), { 'b.txt': 'b' });
    // The config is checked when it is read (a missing folder is a config error, exit 2); the disk
    // can still go away after that. Hold the start-up in its clean-up listing and remove it then.
    fx.emu.emulator.faults.add({
      match: { operation: 'ListMultipartUploads' },
      times: Infinity,
      action: { type: 'error', status: 503, code: 'ServiceUnavailable' },
    });
    const once = fx.spawnCli(['once', '--config', fx.configPath]);
    await waitFor(() => fx.emu.emulator.requestLog.entries().some((e) => e.operation === 'ListMultipartUploads' && e.status === 503), {
      what: 'start-up to reach the clean-up listing',
    });
    rmSync(fx.folder('gone'), { recursive: true });
    fx.emu.emulator.faults.clear();

    const { code } = await once.exited;
    const stderr = once.stderr.join('\n');
    expect(code, stderr).toBe(1);
    expect(stderr).toContain('1 folder(s) not synced');
    expect(stderr).toContain(`folder gone (${fx.folder('gone')}) not synced: paused: folder is missing (unmounted disk?)`);
    expect(stderr).not.toContain('done;');
    expect(await fx.remoteKeys()).toEqual(['main/a.txt']);
  });

  it('exits 1 naming a folder paused by an error every upload of it would hit, after syncing the others', async () => {
    fx = await createSyncFixture([{ name: 'main' }, { name: 'nobucket' }]);
    const doc = parse(readFileSync(fx.configPath, 'utf8')) as { folders: Array<{ name: string; bucket: string }> };
    doc.folders.find((f) => f.name === 'nobucket')!.bucket = 'no-such-bucket';
    writeFileSync(fx.configPath, stringify(doc));
    createTree(fx.folder('main'), Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`f${i}.txt`, `file ${i}`])));
    createTree(fx.folder('nobucket'), { 'x.txt': 'x', 'y.txt': 'y' });

    const once = fx.spawnCli(['once', '--config', fx.configPath]);
    const { code } = await once.exited;
    const stderr = once.stderr.join('\n');
    expect(code, stderr).toBe(1);
    expect(stderr).toMatch(/\n {2}folder nobucket \(.*\) not synced: paused after an error every upload would hit: .*NoSuchBucket/);
    // The fatal error paused its own folder only: the other folder was synced completely.
    expect(await fx.remoteKeys('main/')).toEqual(Array.from({ length: 6 }, (_, i) => `main/f${i}.txt`));
  });

  it('exits 1 naming a folder whose scan failed, and uploads the others', async () => {
    fx = await createSyncFixture([{ name: 'main' }, { name: 'broken' }]);
    createTree(fx.folder('main'), { 'a.txt': 'a' });
    createTree(fx.folder('broken'), { 'b.txt': 'b' });
    const once = fx.spawnCli(['once', '--config', fx.configPath], { OSS_SYNC_FAILPOINT: 'reconcile-fails:broken' });
    const { code } = await once.exited;
    const stderr = once.stderr.join('\n');
    expect(code, stderr).toBe(1);
    expect(stderr).toContain(`folder broken (${fx.folder('broken')}) not synced: the scan failed: failpoint reconcile-fails`);
    expect(await fx.remoteKeys()).toEqual(['main/a.txt']);
  });
});
