import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { createTree } from '../helpers/fixtures.js';
import { createSyncFixture, type SyncFixture } from '../helpers/sync-fixture.js';
import { waitFor } from '../helpers/wait.js';

describe('daemon and troublesome folders and files', () => {
  let fx: SyncFixture;
  afterEach(async () => fx?.cleanup());

  it('pauses a folder that disappears, deletes nothing remotely, and resumes when it is back', async () => {
    fx = await createSyncFixture([{ name: 'disk', delete_policy: 'mirror' }]);
    createTree(fx.folder('disk'), { 'a.txt': 'a', 'b/c.txt': 'c' });
    const { logs } = await fx.startDaemon();
    await waitFor(async () => (await fx.remoteKeys('disk/')).length === 2, { what: 'initial upload' });
    const aside = join(fx.root, 'unmounted');
    renameSync(fx.folder('disk'), aside); // the disk goes away
    await waitFor(() => logs.some((l) => l.includes('folder paused')), { what: 'pause logged' });
    const store = fx.openStore();
    try {
      await waitFor(() => store.daemon.folderHealth().find((h) => h.folder === 'disk')?.mode === 'paused', { what: 'paused in status' });
    } finally {
      store.close();
    }
    expect(await fx.remoteKeys('disk/')).toEqual(['disk/a.txt', 'disk/b/c.txt']);
    renameSync(aside, fx.folder('disk')); // and comes back, with a new file
    writeFileSync(join(fx.folder('disk'), 'new.txt'), 'after remount');
    await waitFor(async () => (await fx.remote('disk/new.txt'))?.toString() === 'after remount', { what: 'upload after resume' });
    expect(await fx.remoteKeys('disk/')).toEqual(['disk/a.txt', 'disk/b/c.txt', 'disk/new.txt']);
  });

  it('an operator pause outlives a restart: the folder stays paused (status shows it) until resumed', async () => {
    fx = await createSyncFixture([{ name: 'main' }, { name: 'other' }]);
    writeFileSync(join(fx.folder('other'), 'o.txt'), 'other');
    const first = await fx.startDaemon('run');
    expect(first.daemon.setOperatorPause('main', true)).toBe(true);
    await first.daemon.stop();

    writeFileSync(join(fx.folder('main'), 'a.txt'), 'written while paused');
    const { daemon } = await fx.startDaemon('run');
    await waitFor(async () => (await fx.remote('other/o.txt'))?.toString() === 'other', { what: 'the other folder synced' });
    expect(daemon.unsyncedFolders().map((u) => `${u.folder}: ${u.reason}`)).toEqual([
      'main: paused by an operator (resume it on the status page or with oss-sync resume)',
    ]);
    const status = fx.spawnCli(['status', '--config', fx.configPath, '--json']);
    expect((await status.exited).code).toBe(0);
    const main = (
      JSON.parse(status.stdout.join('\n')) as { folders: Array<{ folder: string; mode: string; note: string; queued: number }> }
    ).folders.find((f) => f.folder === 'main');
    expect(main).toMatchObject({
      mode: 'paused',
      note: 'paused by an operator (resume it on the status page or with oss-sync resume)',
      queued: 1,
    });
    expect(await fx.remoteKeys('main/')).toEqual([]);

    daemon.setOperatorPause('main', false);
    await waitFor(async () => (await fx.remote('main/a.txt'))?.toString() === 'written while paused', { what: 'the upload once resumed' });
  });

  it('shows a folder paused by an error every upload would hit, and no longer once a reload fixed it', async () => {
    fx = await createSyncFixture([{ name: 'main' }]);
    // A key the server does not know (e.g. disabled, then re-enabled by the operator).
    fx.emu.emulator.faults.add({
      match: { operation: 'PutObject' },
      times: Infinity,
      action: { type: 'error', status: 403, code: 'InvalidAccessKeyId' },
    });
    createTree(fx.folder('main'), { 'a.txt': 'a' });
    const { daemon } = await fx.startDaemon();
    const store = fx.openStore();
    const health = () => store.daemon.folderHealth().find((h) => h.folder === 'main');
    try {
      await waitFor(() => health()?.mode === 'paused', { what: 'paused in status' });
      expect(health()?.note).toContain('InvalidAccessKeyId');
      // Not the file's fault: it waits with the reason and keeps all its attempts for real failures.
      expect(store.queue.find('main', 'a.txt')).toMatchObject({
        state: 'queued',
        attempts: 0,
        lastError: expect.stringContaining('InvalidAccessKeyId'),
      });
      fx.emu.emulator.faults.clear();
      await daemon.reload(loadConfig(fx.configPath));
      expect(health()).toMatchObject({ mode: 'watching', note: expect.stringContaining('watcher') });
      await waitFor(async () => (await fx.remote('main/a.txt'))?.toString() === 'a', { what: 'upload after the reload' });
    } finally {
      store.close();
    }
  });

  it('logs a request that failed and is retried (debug), and one still failing after a few tries (warn)', async () => {
    fx = await createSyncFixture([{ name: 'main' }]);
    fx.emu.emulator.faults.add({
      match: { operation: 'PutObject' },
      times: 3,
      action: { type: 'error', status: 503, code: 'ServiceUnavailable' },
    });
    createTree(fx.folder('main'), { 'a.txt': 'a' });
    const { logs } = await fx.startDaemon();
    await waitFor(async () => (await fx.remote('main/a.txt'))?.toString() === 'a', { what: 'upload after the retries' });
    const retries = logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((r) => r.msg === 'request failed; retrying');
    expect(retries.map((r) => [r.level, r.operation, r.attempt])).toEqual([
      ['debug', 'PutObject', 1],
      ['debug', 'PutObject', 2],
      ['warn', 'PutObject', 3],
    ]);
    expect(JSON.stringify(retries[0])).toContain('ServiceUnavailable');
  });

  it('survives a file deleted while it is being uploaded, and the others still go up', async () => {
    fx = await createSyncFixture([{ name: 'main' }]);
    // Slow the big upload down so the delete lands mid-upload.
    fx.emu.emulator.faults.add({ match: { operation: 'UploadPart' }, times: Infinity, action: { type: 'latency', ms: 300 } });
    mkdirSync(fx.folder('main'), { recursive: true });
    writeFileSync(join(fx.folder('main'), 'big.bin'), Buffer.alloc(2 * 1024 * 1024, 1));
    writeFileSync(join(fx.folder('main'), 'small.txt'), 'small');
    await fx.startDaemon();
    const store = fx.openStore();
    try {
      await waitFor(() => store.uploads.count() > 0, { what: 'multipart upload started' });
      rmSync(join(fx.folder('main'), 'big.bin'));
      await waitFor(() => store.queue.find('main', 'big.bin') === undefined, { what: 'deleted file forgotten' });
    } finally {
      store.close();
    }
    await waitFor(async () => (await fx.remote('main/small.txt'))?.toString() === 'small', { what: 'small file' });
    expect(await fx.remote('main/big.bin')).toBeUndefined();
    // No multipart upload is left behind on the server.
    await waitFor(async () => ((await fx.emu.client().listUploads({})).uploads ?? []).length === 0, { what: 'no orphaned upload' });
  });
});

describe('a folder whose watcher hits the inotify limit', () => {
  let fx: SyncFixture;
  afterEach(async () => fx?.cleanup());

  it('falls back to rescans, logs the fix once, shows it in status, and keeps uploading', async () => {
    fx = await createSyncFixture([{ name: 'main', watcher: 'chokidar' }], { rescan_interval: '500ms' });
    const daemon = fx.spawnCli(['run', '--config', fx.configPath], { OSS_SYNC_FAILPOINT: 'watch-limit:ENOSPC' });
    const warning = await daemon.waitForLog((r) => r.msg === 'watcher degraded; rescanning the folder periodically instead');
    expect(String(warning.reason)).toContain('fs.inotify.max_user_watches');
    createTree(fx.folder('main'), { 'seen-by-rescan.txt': 'found' });
    await waitFor(async () => (await fx.remote('main/seen-by-rescan.txt'))?.toString() === 'found', { what: 'upload found by a rescan' });
    const status = fx.spawnCli(['status', '--config', fx.configPath]);
    await status.exited;
    expect(status.stdout.join('\n')).toMatch(/main .*rescanning .*ENOSPC.*fs\.inotify\.max_user_watches/);
    expect(daemon.stdout.filter((l) => l.includes('watcher degraded')).length).toBe(1);
  });
});
