import { appendFileSync, mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { createTree } from '../helpers/fixtures.js';
import { createSyncFixture, type SyncFixture } from '../helpers/sync-fixture.js';
import { waitFor } from '../helpers/wait.js';

/** Waits until the remote object equals the expected bytes. */
async function remoteEquals(fx: SyncFixture, key: string, expected: string | Buffer, timeoutMs = 20_000): Promise<void> {
  const want = Buffer.isBuffer(expected) ? expected : Buffer.from(expected);
  await waitFor(async () => (await fx.remote(key))?.equals(want), { timeoutMs, what: `oss object ${key} to match` });
}

describe.each(['chokidar', 'native'] as const)('daemon watching folders (%s watcher)', (watcher) => {
  let fx: SyncFixture;
  afterEach(async () => fx?.cleanup());

  it('uploads files created after start, including in folders created after start, with odd names', async () => {
    fx = await createSyncFixture([{ name: 'main', watcher }]);
    await fx.startDaemon();
    const dir = fx.folder('main');
    createTree(dir, { 'a.txt': 'alpha' });
    mkdirSync(join(dir, 'new/deeper'), { recursive: true });
    createTree(dir, { 'new/deeper/b.txt': 'beta', 'ünï cødé/ +#?% 🙂.txt': 'odd' });
    await remoteEquals(fx, 'main/a.txt', 'alpha');
    await remoteEquals(fx, 'main/new/deeper/b.txt', 'beta');
    await remoteEquals(fx, 'main/ünï cødé/ +#?% 🙂.txt', 'odd');
    // A backslash is part of a name on Linux, not a separator: two files, two objects.
    createTree(dir, { 'back\\slash.txt': 'one name', 'back/slash.txt': 'a folder and a file' });
    await remoteEquals(fx, 'main/back\\slash.txt', 'one name');
    await remoteEquals(fx, 'main/back/slash.txt', 'a folder and a file');
  });

  // chokidar drops such a name itself (its own stat fails); the next reconcile walk names it then.
  it.skipIf(watcher === 'chokidar')(
    'warns about a file created with a name that is not UTF-8 (it cannot be backed up), instead of ignoring it',
    async () => {
      fx = await createSyncFixture([{ name: 'main', watcher }]);
      const { logs } = await fx.startDaemon();
      writeFileSync(Buffer.concat([Buffer.from(`${fx.folder('main')}/caf`), Buffer.from([0xe9]), Buffer.from('.txt')]), 'latin-1 name');
      writeFileSync(join(fx.folder('main'), 'after.txt'), 'a later file still goes up');
      await remoteEquals(fx, 'main/after.txt', 'a later file still goes up');
      await waitFor(() => logs.some((l) => l.includes('file name is not valid UTF-8; it cannot be backed up (rename it): caf\uFFFD.txt')), {
        what: 'a warning naming the file',
      });
    },
  );

  it('waits for a file being written to settle and uploads the whole of it', async () => {
    fx = await createSyncFixture([{ name: 'main', watcher }], { settle_time: '1s' });
    const { daemon } = await fx.startDaemon();
    const path = join(fx.folder('main'), 'growing.log');
    writeFileSync(path, 'line 0\n');
    let expected = 'line 0\n';
    for (let i = 1; i <= 5; i++) {
      // A slow writer: appends every 150 ms, well inside the settle window.
      await delay(150);
      appendFileSync(path, `line ${i}\n`);
      expected += `line ${i}\n`;
    }
    await remoteEquals(fx, 'main/growing.log', expected);
    const puts = fx.emu.emulator.requestLog.entries().filter((e) => e.operation === 'PutObject' && e.key === 'main/growing.log');
    expect(puts).toHaveLength(1);
    await daemon.stop();
  });

  it('ignores temp and partial files and honours include/exclude', async () => {
    fx = await createSyncFixture([{ name: 'main', watcher, include: ['**/*.jpg', '**/*.txt'], exclude: ['private/**'] }]);
    await fx.startDaemon();
    createTree(fx.folder('main'), {
      'x.tmp': 't',
      'y.part': 'p',
      '.z.swp': 's',
      '~lock.txt': 'l',
      '.#emacs.txt': 'e',
      'private/secret.txt': 's',
      'notes.md': 'excluded by include',
      'photo.jpg': 'jpeg',
      'ok.txt': 'ok',
    });
    await remoteEquals(fx, 'main/ok.txt', 'ok');
    await remoteEquals(fx, 'main/photo.jpg', 'jpeg');
    expect(await fx.remoteKeys('main/')).toEqual(['main/ok.txt', 'main/photo.jpg']);
  });

  it('keeps remote objects of deleted files under the keep policy and deletes them under mirror', async () => {
    fx = await createSyncFixture([
      { name: 'kept', watcher },
      { name: 'mirrored', watcher, delete_policy: 'mirror' },
    ]);
    await fx.startDaemon();
    createTree(fx.folder('kept'), { 'a.txt': 'a' });
    createTree(fx.folder('mirrored'), { 'a.txt': 'a', 'sub/b.txt': 'b' });
    await remoteEquals(fx, 'kept/a.txt', 'a');
    await remoteEquals(fx, 'mirrored/a.txt', 'a');
    await remoteEquals(fx, 'mirrored/sub/b.txt', 'b');
    rmSync(join(fx.folder('kept'), 'a.txt'));
    rmSync(join(fx.folder('mirrored'), 'a.txt'));
    rmSync(join(fx.folder('mirrored'), 'sub'), { recursive: true });
    await waitFor(async () => (await fx.remoteKeys('mirrored/')).length === 0, { what: 'mirror deletes' });
    expect(await fx.remoteKeys('kept/')).toEqual(['kept/a.txt']);
  });

  it('uploads a renamed file under its new name', async () => {
    fx = await createSyncFixture([{ name: 'main', watcher, delete_policy: 'mirror' }]);
    await fx.startDaemon();
    createTree(fx.folder('main'), { 'old.txt': 'content' });
    await remoteEquals(fx, 'main/old.txt', 'content');
    renameSync(join(fx.folder('main'), 'old.txt'), join(fx.folder('main'), 'new.txt'));
    await remoteEquals(fx, 'main/new.txt', 'content');
    await waitFor(async () => (await fx.remote('main/old.txt')) === undefined, { what: 'old name deleted (mirror)' });
  });

  it('uploads what changed while the daemon was down, and nothing that did not', async () => {
    fx = await createSyncFixture([{ name: 'main', watcher }]);
    createTree(fx.folder('main'), { 'same.txt': 'same', 'changed.txt': 'v1' });
    const first = await fx.startDaemon();
    await remoteEquals(fx, 'main/same.txt', 'same');
    await remoteEquals(fx, 'main/changed.txt', 'v1');
    await first.daemon.stop();
    createTree(fx.folder('main'), { 'changed.txt': 'version 2', 'created.txt': 'new while down' });
    fx.emu.emulator.requestLog.clear();
    await fx.startDaemon();
    await remoteEquals(fx, 'main/changed.txt', 'version 2');
    await remoteEquals(fx, 'main/created.txt', 'new while down');
    const keys = fx.emu.emulator.requestLog.entries().map((e) => e.key);
    expect(keys).not.toContain('main/same.txt');
  });

  it('does not hang or escape on a symlink loop', async () => {
    fx = await createSyncFixture([{ name: 'main', watcher }]);
    const dir = fx.folder('main');
    mkdirSync(join(dir, 'loop'));
    symlinkSync(dir, join(dir, 'loop/back'));
    symlinkSync('/etc', join(dir, 'outside'));
    createTree(dir, { 'loop/file.txt': 'inside' });
    await fx.startDaemon();
    await remoteEquals(fx, 'main/loop/file.txt', 'inside');
    createTree(dir, { 'after.txt': 'still watching' });
    await remoteEquals(fx, 'main/after.txt', 'still watching');
    expect((await fx.remoteKeys('main/')).every((k) => !k.includes('outside') && !k.includes('back/'))).toBe(true);
  });
});
