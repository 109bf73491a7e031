/**
 * A disk mounted inside a mirror folder and then unmounted leaves its mount point behind, empty and
 * on the parent's device: its files are 'missing' to every watcher, walk and worker, but nothing was
 * deleted. Real tmpfs mounts (as root); skipped, saying why, where mounting is not permitted.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createTree } from '../helpers/fixtures.js';
import { cannotMount, mountTmpfs as mount, umount } from '../helpers/mounts.js';
import { createSyncFixture, type SyncFixture } from '../helpers/sync-fixture.js';
import { waitFor } from '../helpers/wait.js';

const mountRefused = cannotMount();
if (mountRefused !== undefined) console.warn(`unmount-safety tests skipped: mounting a tmpfs is not permitted here (${mountRefused})`);

describe.skipIf(mountRefused !== undefined)('a mirror folder with a disk mounted inside it', () => {
  let fx: SyncFixture | undefined;
  let mounted: string | undefined;

  /** Loop devices a test attached, detached after it. */
  const loops: string[] = [];

  afterEach(async () => {
    if (mounted !== undefined) umount(mounted); // before the temp dir is removed
    mounted = undefined;
    for (const loop of loops.splice(0)) execFileSync('losetup', ['-d', loop]);
    await fx?.cleanup();
    fx = undefined;
  });

  /** A mirror folder `disk` with top.txt, and a tmpfs at disk/sub holding three files. */
  async function mountedFolder(watcher?: 'chokidar' | 'native'): Promise<{ fx: SyncFixture; sub: string }> {
    // Under `run`, a rescan every 2 s: the watcher's events and the scheduled walk must both hold back.
    const extra = watcher ? { reconcile_schedule: '*/2 * * * * *' } : {};
    fx = await createSyncFixture(
      [
        {
          name: 'disk',
          delete_policy: 'mirror',
          ...(watcher ? { watcher } : {}),
        },
      ],
      extra,
    );
    const sub = join(fx.folder('disk'), 'sub');
    mkdirSync(sub);
    mount(sub);
    mounted = sub;
    createTree(fx.folder('disk'), {
      'top.txt': 't',
      'sub/one.txt': '1',
      'sub/two.txt': '2',
      'sub/deeper/three.txt': '3',
    });
    return { fx, sub };
  }

  const deletes = (f: SyncFixture): string[] =>
    f.emu.emulator.requestLog
      .entries()
      .filter((e) => e.operation === 'DeleteObject')
      .map((e) => String(e.key));

  for (const watcher of ['chokidar', 'native'] as const) {
    it(`deletes nothing when it is unmounted while \`run\` watches (${watcher} watcher); a file removed from it before is still mirrored`, async () => {
      const { fx, sub } = await mountedFolder(watcher);
      const run = fx.spawnCli(['run', '--config', fx.configPath]);
      const all = ['disk/sub/deeper/three.txt', 'disk/sub/one.txt', 'disk/sub/two.txt', 'disk/top.txt'];
      await waitFor(async () => (await fx.remoteKeys('disk/')).length === 4, {
        what: 'four uploads',
        timeoutMs: 30_000,
      });
      // Control: a file a user removes from the mounted disk is gone, and mirrored as such.
      rmSync(join(sub, 'two.txt'));
      await waitFor(() => deletes(fx).includes('disk/sub/two.txt'), {
        what: 'the delete of sub/two.txt',
        timeoutMs: 30_000,
      });
      const before = deletes(fx).length;
      umount(sub);
      mounted = undefined;
      // Whatever the watcher makes of the unmount ends in this verdict (or, wrongly, in deletes).
      const held = run.waitForLog((r) => String(r.msg).includes('not treated as deleted'), 30_000);
      const deleted = waitFor(() => deletes(fx).length > before, {
        what: 'a delete',
        timeoutMs: 30_000,
      });
      held.catch(() => undefined);
      deleted.catch(() => undefined);
      await Promise.race([held, deleted]).catch(() => undefined);
      expect(deletes(fx).slice(before)).toEqual([]);
      expect(await held).toMatchObject({ folder: 'disk' });
      // The scheduled rescan after it comes to the same verdict.
      const heldAt = run.stdout.length;
      await waitFor(() => run.stdout.slice(heldAt).some((l) => l.includes('"reconciled folder"') && l.includes('"unmounted":2')), {
        what: 'a rescan',
      });
      expect(deletes(fx).slice(before)).toEqual([]);
      expect(await fx.remoteKeys('disk/')).toEqual(all.filter((k) => k !== 'disk/sub/two.txt'));
      run.child.kill('SIGTERM');
      expect((await run.exited).code).toBe(0);
    }, 90_000);
  }

  for (const walker of ['find', 'in-thread'] as const) {
    it(`\`once\` after the unmount deletes nothing (${walker} walk); a file removed from it while mounted is still mirrored`, async () => {
      const { fx, sub } = await mountedFolder();
      const env = { OSS_SYNC_WALKER: walker };
      expect((await fx.spawnCli(['once', '--config', fx.configPath], env).exited).code).toBe(0);
      rmSync(join(sub, 'two.txt'));
      expect((await fx.spawnCli(['once', '--config', fx.configPath], env).exited).code).toBe(0);
      expect(deletes(fx)).toEqual(['disk/sub/two.txt']);
      umount(sub);
      mounted = undefined;
      const again = fx.spawnCli(['once', '--config', fx.configPath], env);
      const { code } = await again.exited;
      expect(deletes(fx)).toEqual(['disk/sub/two.txt']);
      expect(await fx.remoteKeys('disk/')).toEqual(['disk/sub/deeper/three.txt', 'disk/sub/one.txt', 'disk/top.txt']);
      // A cron job hears of it: the folder was not fully synced.
      expect(code, again.stderr.join('\n')).toBe(1);
      expect(again.stderr.join('\n')).toContain('unmounted disk?');
    }, 90_000);
  }

  it('`once` deletes nothing when the mount point went with the disk; a plain directory removed with rm -r is still mirrored', async () => {
    const { fx, sub } = await mountedFolder();
    createTree(fx.folder('disk'), {
      'plain/a.txt': 'a',
      'plain/b/c.txt': 'c',
    });
    expect((await fx.spawnCli(['once', '--config', fx.configPath]).exited).code).toBe(0);
    umount(sub);
    mounted = undefined;
    rmSync(sub, { recursive: true }); // as desktop automounters do with /media/<user>/<label>
    rmSync(join(fx.folder('disk'), 'plain'), { recursive: true });
    const again = fx.spawnCli(['once', '--config', fx.configPath]);
    expect((await again.exited).code).toBe(1);
    expect(deletes(fx).sort()).toEqual(['disk/plain/a.txt', 'disk/plain/b/c.txt']);
    expect(await fx.remoteKeys('disk/')).toEqual(['disk/sub/deeper/three.txt', 'disk/sub/one.txt', 'disk/sub/two.txt', 'disk/top.txt']);
    expect(again.stderr.join('\n')).toContain(
      '3 backed-up file(s) missing from a directory that is gone or on another disk now (unmounted disk?)',
    );
  }, 90_000);

  // A filesystem mounted again may come back under another device number (after a reboot: ZFS,
  // btrfs, loop devices...): its files are all there, so a file deleted from it is deleted.
  it('`once` still mirrors a deletion from a disk that came back under another device number', async () => {
    fx = await createSyncFixture([{ name: 'disk', delete_policy: 'mirror' }]);
    const sub = join(fx.folder('disk'), 'sub');
    mkdirSync(sub);
    const image = join(fx.root, 'disk.img');
    execFileSync('truncate', ['-s', '8M', image]);
    execFileSync('mkfs.ext4', ['-q', image]);
    let first: string;
    try {
      first = execFileSync('losetup', ['-f', '--show', image], { encoding: 'utf8' }).trim();
    } catch (err) {
      console.warn(`renumbered-disk test skipped: no loop device here (${(err as Error).message.trim()})`);
      return;
    }
    loops.push(first);
    execFileSync('mount', [first, sub]);
    mounted = sub;
    createTree(fx.folder('disk'), { 'top.txt': 't', 'sub/one.txt': '1', 'sub/two.txt': '2' });
    expect((await fx.spawnCli(['once', '--config', fx.configPath]).exited).code).toBe(0);
    umount(sub);
    const second = execFileSync('losetup', ['-f', '--show', image], { encoding: 'utf8' }).trim(); // the first is still attached: another number
    loops.push(second);
    execFileSync('mount', [second, sub]);
    rmSync(join(sub, 'two.txt'));
    const again = fx.spawnCli(['once', '--config', fx.configPath]);
    expect((await again.exited).code, again.stderr.join('\n')).toBe(0);
    expect(deletes(fx)).toEqual(['disk/sub/two.txt']);
    expect(await fx.remoteKeys('disk/')).toEqual(['disk/sub/one.txt', 'disk/top.txt']);
  }, 90_000);
});
