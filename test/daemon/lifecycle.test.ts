/**
 * reload() and stop() of a running daemon overlapping each other: a SIGHUP handled while the daemon
 * stops, a stop arriving mid-reload, two SIGHUPs in quick succession, a SIGHUP during start-up.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { InstanceLock } from '../../src/store/index.js';
import { createTree } from '../helpers/fixtures.js';
import { createSyncFixture, type SyncFixture } from '../helpers/sync-fixture.js';
import { waitFor } from '../helpers/wait.js';

function records(logs: string[]): Array<Record<string, unknown>> {
  return logs.map((l) => JSON.parse(l) as Record<string, unknown>);
}

function errorLines(logs: string[]): string[] {
  return logs.filter((l) => (JSON.parse(l) as { level: string }).level === 'error');
}

function healthOf(fx: SyncFixture): string[] {
  const store = fx.openStore();
  try {
    return store.daemon.folderHealth().map((h) => h.folder);
  } finally {
    store.close();
  }
}

describe('daemon life cycle: reload and stop never overlap', () => {
  let fx: SyncFixture;
  afterEach(async () => fx?.cleanup());

  it('a reload and a stop called together: the reload completes first, the stop is clean, the lock released', async () => {
    fx = await createSyncFixture([{ name: 'main' }]);
    const { daemon, logs } = await fx.startDaemon();
    fx.writeConfig([{ name: 'main' }, { name: 'added' }]);
    createTree(fx.folder('added'), { 'x.txt': 'x' });
    const next = loadConfig(fx.configPath);

    const [reloaded, stopped] = await Promise.allSettled([daemon.reload(next), daemon.stop()]);
    expect(reloaded, logs.join('')).toEqual({ status: 'fulfilled', value: undefined });
    expect(stopped).toMatchObject({ status: 'fulfilled' });
    expect(errorLines(logs)).toEqual([]);
    const msgs = records(logs).map((r) => r.msg);
    expect(msgs.indexOf('configuration reloaded')).toBeGreaterThan(-1);
    expect(msgs.indexOf('configuration reloaded')).toBeLessThan(msgs.indexOf('oss-sync stopped'));
    expect(msgs.filter((m) => m === 'oss-sync stopped')).toHaveLength(1);
    expect(InstanceLock.isHeld(fx.stateDb)).toBe(false);

    // After the stop, a reload (a late SIGHUP) is ignored with a log line and touches nothing.
    await expect(daemon.reload(next)).resolves.toBeUndefined();
    expect(records(logs).some((r) => r.msg === 'configuration reload ignored: the daemon is stopping')).toBe(true);
    expect(errorLines(logs)).toEqual([]);
    // A second stop is the same stop.
    await expect(daemon.stop()).resolves.toEqual((stopped as PromiseFulfilledResult<unknown>).value);

    // The state database was left closed and consistent: the next daemon starts and works.
    const second = await fx.startDaemon();
    await waitFor(async () => (await fx.remote('added/x.txt'))?.toString() === 'x', { what: 'the added folder synced by the next daemon' });
    await second.daemon.stop();
    expect(errorLines(second.logs)).toEqual([]);
  });

  it('a reload that replaces the worker mid-upload, then a stop: every object the server stored is recorded as verified', async () => {
    fx = await createSyncFixture([{ name: 'main' }]);
    const names = Array.from({ length: 300 }, (_, i) => `f${i}.txt`);
    createTree(fx.folder('main'), Object.fromEntries(names.map((n) => [n, `content of ${n}`])));
    const stored = (): string[] =>
      fx.emu.emulator.requestLog
        .entries()
        .filter((e) => e.operation === 'PutObject' && e.status === 200)
        .map((e) => e.key!);
    const { daemon, logs } = await fx.startDaemon();
    await waitFor(() => stored().length >= 20, { what: 'some files uploaded' });
    fx.writeConfig([{ name: 'main' }], { concurrency: { files: 2 } }); // a new worker, the same group commit
    await daemon.reload(loadConfig(fx.configPath));
    const atReload = stored().length;
    await waitFor(() => stored().length >= atReload + 4, { what: 'the new worker uploading' });
    await daemon.stop(); // with uploads in flight and their group commit pending

    expect(errorLines(logs)).toEqual([]);
    const store = fx.openStore();
    try {
      for (const key of stored()) expect(store.queue.find('main', key.split('/').at(-1)!)?.state, key).toBe('verified');
    } finally {
      store.close();
    }
  });

  it('a stop called first makes a reload right behind it a logged no-op', async () => {
    fx = await createSyncFixture([{ name: 'main' }]);
    const { daemon, logs } = await fx.startDaemon();
    fx.writeConfig([{ name: 'main' }, { name: 'added' }]);
    const next = loadConfig(fx.configPath);
    const [stopped, reloaded] = await Promise.allSettled([daemon.stop(), daemon.reload(next)]);
    expect(stopped).toMatchObject({ status: 'fulfilled' });
    expect(reloaded).toEqual({ status: 'fulfilled', value: undefined });
    const msgs = records(logs).map((r) => r.msg);
    expect(msgs).toContain('configuration reload ignored: the daemon is stopping');
    expect(msgs).not.toContain('configuration reloaded');
    expect(errorLines(logs)).toEqual([]);
    expect(InstanceLock.isHeld(fx.stateDb)).toBe(false);
  });

  it("two reloads back to back are applied in order: the final folders are the last config's", async () => {
    fx = await createSyncFixture([{ name: 'main' }]);
    const { daemon, logs } = await fx.startDaemon();
    fx.writeConfig([{ name: 'main' }, { name: 'a' }]);
    const first = loadConfig(fx.configPath);
    fx.writeConfig([{ name: 'main' }, { name: 'b' }]);
    const second = loadConfig(fx.configPath);
    createTree(fx.folder('b'), { 'b.txt': 'in b' });

    await Promise.all([daemon.reload(first), daemon.reload(second)]);
    expect(errorLines(logs)).toEqual([]);
    // Only main and b are running: a was started by the first reload and stopped by the second
    // (not left watching after its removal, as when the second reload overtook the first).
    expect(healthOf(fx)).toEqual(['b', 'main']);
    const order = records(logs)
      .filter((r) => (r.msg === 'watching folder' || r.msg === 'folder removed from the config') && r.folder === 'a')
      .map((r) => r.msg);
    expect(order).toEqual(['watching folder', 'folder removed from the config']);
    await waitFor(async () => (await fx.remote('b/b.txt'))?.toString() === 'in b', { what: 'the upload from b' });
    createTree(fx.folder('b'), { 'later.txt': 'later' });
    await waitFor(async () => (await fx.remote('b/later.txt'))?.toString() === 'later', { what: 'b is watched' });
    expect(healthOf(fx)).toEqual(['b', 'main']);

    await daemon.stop();
    expect(errorLines(logs)).toEqual([]);
    expect(InstanceLock.isHeld(fx.stateDb)).toBe(false);
  });
});

describe('oss-sync run and SIGHUP', () => {
  let fx: SyncFixture;
  afterEach(async () => fx?.cleanup());

  it('applies a SIGHUP that arrived during start-up once the daemon is up', async () => {
    fx = await createSyncFixture([{ name: 'main' }]);
    // Hold the start-up in its clean-up listing (retried while the emulator answers 503).
    fx.emu.emulator.faults.add({
      match: { operation: 'ListMultipartUploads' },
      times: Infinity,
      action: { type: 'error', status: 503, code: 'ServiceUnavailable' },
    });
    const daemon = fx.spawnCli(['run', '--config', fx.configPath]);
    await waitFor(() => fx.emu.emulator.requestLog.entries().some((e) => e.operation === 'ListMultipartUploads' && e.status === 503), {
      what: 'start-up to reach the clean-up listing',
    });
    // The config was read; the daemon is not up yet. Change the config and signal.
    fx.writeConfig([{ name: 'main' }, { name: 'added' }]);
    createTree(fx.folder('added'), { 'x.txt': 'in the new folder' });
    daemon.child.kill('SIGHUP');
    fx.emu.emulator.faults.clear();
    await daemon.waitForLog((r) => r.msg === 'applying a SIGHUP received during start-up');
    await daemon.waitForLog((r) => r.msg === 'configuration reloaded' && r.added === 1);
    await waitFor(async () => (await fx.remote('added/x.txt'))?.toString() === 'in the new folder', {
      what: 'upload from the added folder',
    });
    daemon.child.kill('SIGTERM');
    expect(await daemon.exited).toEqual({ code: 0, signal: null });
    expect(daemon.stdout.filter((l) => l.includes('"level":"error"'))).toEqual([]);
  });
});
