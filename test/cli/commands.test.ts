/**
 * The `oss-sync` command as an operator meets it: exit codes, error messages, signals, status.
 * Each test runs the built CLI as a child process against a real emulator and real folders.
 */
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { chownTree, createTree } from '../helpers/fixtures.js';
import { createSyncFixture, type SyncFixture } from '../helpers/sync-fixture.js';
import { waitFor } from '../helpers/wait.js';

describe('oss-sync commands', () => {
  let fx: SyncFixture;
  afterEach(async () => fx?.cleanup());

  it('prints the package version for --version (what a packed install is checked with)', async () => {
    fx = await createSyncFixture();
    const cli = fx.spawnCli(['--version']);
    expect((await cli.exited).code).toBe(0);
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(cli.stdout.join('\n').trim()).toBe(`oss-sync ${pkg.version}`);
  });

  it('rejects a bad config with exit code 2, naming the file, line and key', async () => {
    fx = await createSyncFixture();
    writeFileSync(
      fx.configPath,
      `oss:\n  endpoint: ${fx.emu.endpoint}\nfolders:\n  - path: ${fx.folder('main')}\n    bucket: Not_A_Bucket\n    part_sise: 8MiB\n`,
    );
    const cli = fx.spawnCli(['run', '--config', fx.configPath]);
    const { code } = await cli.exited;
    expect(code).toBe(2);
    const err = cli.stderr.join('\n');
    expect(err).toContain(`${fx.configPath}:5:`);
    expect(err).toContain('folders[0].bucket');
    expect(err).toMatch(/folders\[0\]\.part_sise.*part_size/);
    expect(err).toMatch(/^oss-sync run: invalid configuration \(\d+ problems\):\n/); // one header, not two
  });

  it("refuses a second daemon on the same state database, naming the first one's pid", async () => {
    fx = await createSyncFixture();
    const first = fx.spawnCli(['run', '--config', fx.configPath]);
    await first.waitForLog((r) => r.msg === 'oss-sync started');
    const second = fx.spawnCli(['run', '--config', fx.configPath]);
    expect((await second.exited).code).toBe(1);
    expect(second.stderr.join('\n')).toContain(`pid ${first.child.pid}`);
    expect(second.stderr.join('\n')).toContain(fx.stateDb);
  });

  it('stops on SIGTERM with exit code 0, and status then says the daemon is not running', async () => {
    fx = await createSyncFixture();
    createTree(fx.folder('main'), { 'a.txt': 'a' });
    const daemon = fx.spawnCli(['run', '--config', fx.configPath]);
    await daemon.waitForLog((r) => r.msg === 'uploaded' && r.path === 'a.txt');
    const running = fx.spawnCli(['status', '--config', fx.configPath, '--json']);
    await running.exited;
    const live = JSON.parse(running.stdout.join('\n'));
    expect(live.daemon).toMatchObject({ running: true, pid: daemon.child.pid });
    expect(live.folders).toEqual([expect.objectContaining({ folder: 'main', verified: 1, queued: 0, failed: 0 })]);
    daemon.child.kill('SIGTERM');
    expect(await daemon.exited).toEqual({ code: 0, signal: null });
    const after = fx.spawnCli(['status', '--config', fx.configPath]);
    expect((await after.exited).code).toBe(0);
    const text = after.stdout.join('\n');
    expect(text).toContain('daemon: not running');
    expect(text).toMatch(/main\s+0\s+0\s+1\s+0/);
  });

  it('on SIGTERM, exits promptly with 0 even when a part is stuck (the stuck request is abandoned)', async () => {
    fx = await createSyncFixture([{ name: 'main' }], { shutdown_grace: '1s' });
    fx.emu.emulator.faults.add({ match: { operation: 'UploadPart' }, times: Infinity, action: { type: 'latency', ms: 120_000 } });
    writeFileSync(join(fx.folder('main'), 'big.bin'), Buffer.alloc(600 * 1024, 1));
    const daemon = fx.spawnCli(['run', '--config', fx.configPath]);
    await waitFor(() => fx.emu.emulator.requestLog.entries().some((e) => e.operation === 'InitiateMultipartUpload'), {
      what: 'upload started',
    });
    daemon.child.kill('SIGTERM');
    // The stuck part would hold the process for two minutes; the grace is one second.
    await waitFor(() => daemon.child.exitCode !== null || daemon.child.signalCode !== null, {
      timeoutMs: 15_000,
      what: 'the daemon to exit',
    }).catch((err: Error) => {
      throw new Error(`${err.message}\n${[...daemon.stdout, ...daemon.stderr].join('\n')}`);
    });
    expect(daemon.child.exitCode, [...daemon.stdout, ...daemon.stderr].join('\n')).toBe(0);
    await daemon.waitForLog((r) => r.msg === 'oss-sync stopped');
  });

  it('reloads the config on SIGHUP: a folder added to the config is watched without a restart', async () => {
    fx = await createSyncFixture();
    const daemon = fx.spawnCli(['run', '--config', fx.configPath]);
    await daemon.waitForLog((r) => r.msg === 'oss-sync started');
    fx.writeConfig([{ name: 'main' }, { name: 'added' }]);
    createTree(fx.folder('added'), { 'x.txt': 'in the new folder' });
    daemon.child.kill('SIGHUP');
    await daemon.waitForLog((r) => r.msg === 'configuration reloaded');
    await waitFor(async () => (await fx.remote('added/x.txt'))?.toString() === 'in the new folder', {
      what: 'upload from the added folder',
    });
    // A broken config on SIGHUP keeps the running one.
    writeFileSync(fx.configPath, 'folders: [oops\n');
    daemon.child.kill('SIGHUP');
    await daemon.waitForLog((r) => r.msg === 'config reload failed; keeping the running configuration');
    createTree(fx.folder('main'), { 'still.txt': 'alive' });
    await waitFor(async () => (await fx.remote('main/still.txt'))?.toString() === 'alive', { what: 'still uploading' });
  });

  it("reloads on SIGHUP while a folder's directory is gone (unmounted): that folder stays paused, the change applies", async () => {
    fx = await createSyncFixture([{ name: 'main' }, { name: 'disk' }]);
    const daemon = fx.spawnCli(['run', '--config', fx.configPath]);
    await daemon.waitForLog((r) => r.msg === 'oss-sync started');
    rmSync(fx.folder('disk'), { recursive: true });
    await daemon.waitForLog((r) => r.msg === 'folder paused' && r.folder === 'disk');
    // Edited by hand, as an operator would (writeConfig would create the directory again).
    const doc = parse(readFileSync(fx.configPath, 'utf8')) as { folders: Array<{ name: string; exclude?: string[] }> };
    doc.folders.find((f) => f.name === 'main')!.exclude = ['*.log'];
    writeFileSync(fx.configPath, stringify(doc));
    daemon.child.kill('SIGHUP');
    await daemon.waitForLog(
      (r) => r.msg === 'configuration reloaded' || r.msg === 'config reload failed; keeping the running configuration',
    );
    expect(daemon.stdout.join('\n')).not.toContain('config reload failed');
    createTree(fx.folder('main'), { 'app.log': 'now excluded', 'keep.txt': 'kept' });
    await waitFor(async () => (await fx.remote('main/keep.txt'))?.toString() === 'kept', { what: 'keep.txt uploaded' });
    createTree(fx.folder('disk'), { 'back.txt': 'remounted' });
    await waitFor(async () => (await fx.remote('disk/back.txt'))?.toString() === 'remounted', { what: 'the paused folder resumed' });
    expect(await fx.remoteKeys('main/')).toEqual(['main/keep.txt']);
  });

  it('applies a changed global setting on SIGHUP to the folders already running (ignore globs)', async () => {
    fx = await createSyncFixture();
    const daemon = fx.spawnCli(['run', '--config', fx.configPath]);
    await daemon.waitForLog((r) => r.msg === 'oss-sync started');
    fx.writeConfig(undefined, { ignore: ['*.log'] });
    daemon.child.kill('SIGHUP');
    const reloaded = await daemon.waitForLog((r) => r.msg === 'configuration reloaded');
    expect(reloaded).toMatchObject({ added: 0, restarted: 1, removed: 0 });
    createTree(fx.folder('main'), { 'app.log': 'now ignored', 'keep.txt': 'kept' });
    await waitFor(async () => (await fx.remote('main/keep.txt'))?.toString() === 'kept', { what: 'keep.txt uploaded' });
    // Both settled in the same window: had app.log been watched, it would be up by now.
    expect(await fx.remoteKeys('main/')).toEqual(['main/keep.txt']);
  });

  it('polls a folder asked to (watcher: poll, for network shares): no change events, a rescan every rescan_interval', async () => {
    fx = await createSyncFixture([{ name: 'share', watcher: 'poll' }], { rescan_interval: '500ms' });
    const daemon = fx.spawnCli(['run', '--config', fx.configPath]);
    const watching = await daemon.waitForLog((r) => r.msg === 'watching folder');
    expect(watching.backend).toBe('rescan');
    createTree(fx.folder('share'), { 'from-nfs.txt': 'seen by a rescan' });
    await waitFor(async () => (await fx.remote('share/from-nfs.txt'))?.toString() === 'seen by a rescan', {
      what: 'upload found by polling',
    });
    // A rescan is a reconcile walk, routine enough to be logged at debug only (the start-up walk at info).
    const rescan = await daemon.waitForLog((r) => r.msg === 'reconciled folder' && r.reason === 'rescan');
    expect(rescan.level).toBe('debug');
  });

  it('status --watch ends quietly when its reader goes away (status --watch | head)', async () => {
    fx = await createSyncFixture();
    expect((await fx.spawnCli(['once', '--config', fx.configPath]).exited).code).toBe(0);
    const watch = fx.spawnCli(['status', '--config', fx.configPath, '--watch']);
    await waitFor(() => watch.stdout.some((line) => line.startsWith('total:')), { what: 'the first drawing' });
    watch.child.stdout!.destroy(); // the next drawing, 2 s later, meets a closed pipe
    expect(await watch.exited).toEqual({ code: 0, signal: null });
    expect(watch.stderr.join('\n')).toBe('');
  });

  it('once: uploads everything and exits 0', async () => {
    fx = await createSyncFixture();
    createTree(fx.folder('main'), { 'a.txt': 'a', 'b/c.txt': 'c', 'big.bin': Buffer.alloc(700 * 1024, 7) });
    const once = fx.spawnCli(['once', '--config', fx.configPath]);
    expect((await once.exited).code).toBe(0);
    expect(await fx.remoteKeys('main/')).toEqual(['main/a.txt', 'main/b/c.txt', 'main/big.bin']);
    expect((await fx.remote('main/big.bin'))?.equals(Buffer.alloc(700 * 1024, 7))).toBe(true);
  });

  it('a wrong secret fails fast with a clear reason, without a retry storm, and never prints the secret', async () => {
    fx = await createSyncFixture();
    createTree(fx.folder('main'), Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`f${i}.txt`, `file ${i}`])));
    const secret = 'wrong-secret-that-must-not-leak';
    const once = fx.spawnCli(['once', '--config', fx.configPath], { TEST_OSS_SECRET: secret });
    expect((await once.exited).code).toBe(1);
    const all = [...once.stdout, ...once.stderr].join('\n');
    expect(all).toContain('SignatureDoesNotMatch');
    expect(all).not.toContain(secret);
    // One folder-wide pause after the first rejection, not 20 files x N retries: no file is sent twice
    // (those already in flight when the first rejection came were each sent once).
    const puts = fx.emu.emulator.requestLog.entries().filter((e) => e.operation === 'PutObject');
    expect(new Set(puts.map((e) => e.key)).size).toBe(puts.length);
    expect(fx.emu.emulator.requestLog.entries().length - puts.length).toBeLessThanOrEqual(8);
    const status = fx.spawnCli(['status', '--config', fx.configPath], { TEST_OSS_SECRET: secret });
    await status.exited;
    expect(status.stdout.join('\n')).toContain('SignatureDoesNotMatch');
    expect(status.stdout.join('\n')).not.toContain(secret);
  });

  // in-thread: what a small folder gets; find: what a big one gets on Linux (forced here).
  it.each(['in-thread', 'find'])(
    'never treats an unreadable directory in a mirror folder as deleted, and says so in the exit code (walking %s)',
    async (walker) => {
      fx = await createSyncFixture([{ name: 'main', delete_policy: 'mirror' }]);
      createTree(fx.folder('main'), { 'open.txt': 'o', 'sub/a.txt': 'a' });
      const as = process.getuid?.() === 0 ? { uid: 65534 } : {};
      if (as.uid !== undefined) chownTree(fx.root, as.uid);
      const env = { OSS_SYNC_WALKER: walker };
      expect((await fx.spawnCli(['once', '--config', fx.configPath], env, as).exited).code).toBe(0);
      chmodSync(join(fx.folder('main'), 'sub'), 0o000);
      const again = fx.spawnCli(['once', '--config', fx.configPath], env, as);
      // Not "done": a directory went unread, so a cron job hears of it.
      expect((await again.exited).code).toBe(1);
      chmodSync(join(fx.folder('main'), 'sub'), 0o755);
      expect(again.stdout.join('\n')).toMatch(/cannot read path during scan.*"path":"sub".*"error":"EACCES: permission denied/i);
      expect(again.stdout.join('\n')).not.toContain('EACCES: EACCES');
      expect(again.stderr.join('\n')).toContain(
        `folder main (${fx.folder('main')}) not synced: could not read 1 path(s) during the scan: sub (EACCES)`,
      );
      expect(again.stdout.join('\n')).toContain(`"walk":"${walker}"`);
      expect(await fx.remoteKeys('main/')).toEqual(['main/open.txt', 'main/sub/a.txt']);
    },
  );

  // 'threads' was a walker once (stat threads, dropped): a setting left from then is refused by name too.
  it.each(['fast', 'threads'])('refuses to start with an OSS_SYNC_WALKER it does not know (%s), naming it', async (walker) => {
    fx = await createSyncFixture();
    const once = fx.spawnCli(['once', '--config', fx.configPath], { OSS_SYNC_WALKER: walker });
    expect((await once.exited).code).not.toBe(0);
    expect(once.stderr.join('\n')).toContain(`OSS_SYNC_WALKER="${walker}" is not a walker: use one of auto, find, in-thread`);
  });

  it('parks an unreadable file as failed with the reason, uploads the others, and retry re-queues it', async () => {
    fx = await createSyncFixture();
    createTree(fx.folder('main'), { 'ok.txt': 'fine', 'locked.txt': 'secret stuff' });
    const asRoot = process.getuid?.() === 0;
    // root reads everything: run the daemon as nobody so that mode 000 really means EACCES.
    const as = asRoot ? { uid: 65534 } : {};
    if (asRoot) chownTree(fx.root, 65534);
    chmodSync(join(fx.folder('main'), 'locked.txt'), 0o000);
    const once = fx.spawnCli(['once', '--config', fx.configPath], {}, as);
    expect((await once.exited).code).toBe(1);
    expect(once.stderr.join('\n')).toMatch(/locked\.txt.*(EACCES|permission denied)/i);
    expect(await fx.remote('main/ok.txt')).toEqual(Buffer.from('fine'));
    chmodSync(join(fx.folder('main'), 'locked.txt'), 0o644);
    // One PATH outside every folder: an error, and nothing queued by the good one before it.
    const refused = fx.spawnCli(['retry', '--config', fx.configPath, join(fx.folder('main'), 'locked.txt'), '/nowhere/x.txt'], {}, as);
    expect((await refused.exited).code).toBe(2);
    expect(refused.stderr.join('')).toContain('/nowhere/x.txt is not inside any configured folder');
    const retry = fx.spawnCli(['retry', '--config', fx.configPath, join(fx.folder('main'), 'locked.txt')], {}, as);
    await retry.exited;
    expect(retry.stdout.join('')).toContain('1 failed file(s) queued again');
    const again = fx.spawnCli(['once', '--config', fx.configPath], {}, as);
    expect((await again.exited).code).toBe(0);
    expect(await fx.remote('main/locked.txt')).toEqual(Buffer.from('secret stuff'));
  });
});
