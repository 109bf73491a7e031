import { chmodSync, fstatSync, mkdirSync, readdirSync, realpathSync, renameSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RestoreDirs, type RestoreDir } from '../../src/daemon/restore/restore-dirs.js';
import { tempDir } from '../helpers/fixtures.js';

const openFds = (): number => readdirSync('/proc/self/fd').length;

// A restore of 100,000 directories must not hold 100,000 descriptors, and a directory whose
// descriptor was closed must be reached again through no link.
describe.skipIf(process.platform !== 'linux')('restore target directories held open', () => {
  let to: ReturnType<typeof tempDir>;
  let outside: ReturnType<typeof tempDir>;
  beforeEach(() => {
    to = tempDir('oss-sync-restore-dirs-');
    chmodSync(to.path, 0o777); // another user may write in it: directories are held (see the last test)
    outside = tempDir('oss-sync-restore-outside-');
  });
  afterEach(() => {
    to.remove();
    outside.remove();
  });

  const enter = async (dirs: RestoreDirs, path: string): Promise<RestoreDir> => await dirs.enter(path);

  it('keeps at most 64 idle directories open, never closes a held one, and closes all at the end', async () => {
    const before = openFds();
    const dirs = new RestoreDirs(to.path);
    const held = await enter(dirs, join(to.path, 'held', 'f'));
    for (let i = 0; i < 100; i++) dirs.leave(await enter(dirs, join(to.path, `d${i}`, 'f')));
    expect(openFds() - before).toBeLessThanOrEqual(64 + 1);
    expect(fstatSync(held.fd!).isDirectory()).toBe(true);
    dirs.end();
    expect(openFds() - before).toBe(1); // the held one, until its file is done
    dirs.leave(held);
    expect(held.fd).toBeUndefined();
    expect(openFds()).toBe(before);
  });

  it('walks again to a directory whose descriptor was closed, and refuses a symlink swapped in for it, naming it', async () => {
    const dirs = new RestoreDirs(to.path);
    try {
      const first = join(to.path, 'a', 'first');
      dirs.leave(await enter(dirs, join(first, 'f')));
      for (let i = 0; i < 70; i++) dirs.leave(await enter(dirs, join(to.path, `d${i}`, 'f')));
      renameSync(join(to.path, 'a'), join(to.path, 'a-old'));
      mkdirSync(join(outside.path, 'first'));
      symlinkSync(outside.path, join(to.path, 'a'));
      await expect(enter(dirs, join(first, 'f'))).rejects.toThrow(
        `${join(to.path, 'a')} is a symbolic link, replaced since it was checked: refused`,
      );
    } finally {
      dirs.end();
    }
  });

  // Missing directories are made through no link; a symlink that stays inside --to is still followed.
  it('makes missing directories below a symlink that leads inside --to, in its target', async () => {
    mkdirSync(join(to.path, 'real'));
    symlinkSync(join(to.path, 'real'), join(to.path, 'in'));
    const dirs = new RestoreDirs(to.path);
    try {
      const dir = await enter(dirs, join(to.path, 'in', 'new', 'deeper', 'f'));
      expect(dir.real?.rel).toBe(join('real', 'new', 'deeper'));
      expect(statSync(join(to.path, 'real', 'new', 'deeper')).isDirectory()).toBe(true);
      expect(fstatSync(dir.fd!).ino).toBe(statSync(join(realpathSync(to.path), 'real', 'new', 'deeper')).ino);
      dirs.leave(dir);
    } finally {
      dirs.end();
    }
  });

  it('holds no descriptor where only this user or root can write from --to down (nothing can be swapped), and holds one below a directory others can write', async () => {
    chmodSync(to.path, 0o755);
    mkdirSync(join(to.path, 'shared'), { mode: 0o777 });
    chmodSync(join(to.path, 'shared'), 0o777); // past the umask
    const dirs = new RestoreDirs(to.path);
    try {
      const mine = await enter(dirs, join(to.path, 'mine', 'f'));
      const below = await enter(dirs, join(to.path, 'shared', 'sub', 'f'));
      expect([mine.guarded, mine.fd]).toEqual([false, undefined]);
      expect(below.guarded).toBe(true);
      expect(fstatSync(below.fd!).isDirectory()).toBe(true);
      dirs.leave(mine);
      dirs.leave(below);
    } finally {
      dirs.end();
    }
  });
});
