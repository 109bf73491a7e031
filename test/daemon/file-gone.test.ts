/**
 * The worker found a file gone while uploading it (FileGoneError): FolderSync.fileGone() decides,
 * through the same check as watchers and walks, whether that is a deletion or an unmounted disk.
 */
import { lstatSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FolderConfig } from '../../src/config/index.js';
import { FolderSync } from '../../src/daemon/folder-sync.js';
import { Logger } from '../../src/lib/logger.js';
import { createTree } from '../helpers/fixtures.js';
import { cannotMount, mountTmpfs, umount } from '../helpers/mounts.js';
import { useStore } from '../helpers/store.js';

const mountRefused = cannotMount();
if (mountRefused !== undefined) console.warn(`file-gone tests skipped: mounting a tmpfs is not permitted here (${mountRefused})`);

describe.skipIf(mountRefused !== undefined)('FolderSync.fileGone (a mirror folder with a disk mounted at sub/)', () => {
  const ctx = useStore();
  let mounted: string | undefined;
  afterEach(() => {
    if (mounted !== undefined) umount(mounted);
    mounted = undefined;
  });

  function setUp(): { sync: FolderSync; root: string; devOf: (relPath: string) => bigint } {
    const root = join(ctx.dir, 'disk');
    mkdirSync(join(root, 'sub'), { recursive: true });
    mountTmpfs(join(root, 'sub'));
    mounted = join(root, 'sub');
    createTree(root, { 'top.txt': 't', 'sub/a.txt': 'a', 'sub/b.txt': 'b', 'sub/dir/c.txt': 'c', 'plain/d.txt': 'd' });
    const folder: FolderConfig = {
      name: 'disk',
      path: root,
      bucket: 'b',
      prefix: '',
      include: [],
      exclude: [],
      deletePolicy: 'mirror',
      partSize: 8 << 20,
      watcher: 'auto',
    };
    const relPaths = ['top.txt', 'sub/a.txt', 'sub/b.txt', 'sub/dir/c.txt', 'plain/d.txt'];
    const devs = new Map<string, bigint>();
    ctx.store.queue.observe(
      'disk',
      relPaths.map((relPath) => {
        const st = lstatSync(join(root, relPath), { bigint: true });
        devs.set(relPath, st.dev);
        return { relPath, size: Number(st.size), mtimeNs: st.mtimeNs, ino: st.ino, dev: st.dev, bucket: 'b', key: relPath };
      }),
    );
    const sync = new FolderSync(folder, {
      store: ctx.store,
      logger: new Logger({ level: 'error', write: () => undefined }),
      settleMs: 0,
      rescanIntervalMs: 60_000,
      walker: 'auto',
      stopSignal: new AbortController().signal,
      ignoreAbsolute: [],
      ignore: [],
      onWork: () => undefined,
      onRemoved: () => undefined,
      watch: false,
      onStoreError: (err) => {
        throw err;
      },
    });
    return { sync, root, devOf: (relPath) => devs.get(relPath)! };
  }

  it('applies the delete policy to a file removed from a directory still on its disk, even one removed whole', () => {
    const { sync, root, devOf } = setUp();
    rmSync(join(root, 'sub/a.txt'));
    expect(sync.fileGone('sub/a.txt', devOf('sub/a.txt'))).toBe(true);
    rmSync(join(root, 'sub/dir'), { recursive: true }); // its parent, sub/, is on the file's disk
    expect(sync.fileGone('sub/dir/c.txt', devOf('sub/dir/c.txt'))).toBe(true);
    rmSync(join(root, 'plain'), { recursive: true });
    expect(sync.fileGone('plain/d.txt', devOf('plain/d.txt'))).toBe(true);
    expect(['sub/a.txt', 'sub/dir/c.txt', 'plain/d.txt'].map((p) => ctx.store.queue.find('disk', p)?.state)).toEqual([
      'deleting',
      'deleting',
      'deleting',
    ]);
  });

  it('decides nothing for a file of an unmounted disk, or one still there', async () => {
    const { sync, root, devOf } = setUp();
    expect(sync.fileGone('sub/a.txt', devOf('sub/a.txt'))).toBe(false); // still there: a race, not a deletion
    umount(join(root, 'sub'));
    mounted = undefined;
    expect(sync.fileGone('sub/b.txt', devOf('sub/b.txt'))).toBe(false);
    expect(sync.fileGone('sub/dir/c.txt', devOf('sub/dir/c.txt'))).toBe(false);
    expect(['sub/a.txt', 'sub/b.txt', 'sub/dir/c.txt'].map((p) => ctx.store.queue.find('disk', p)?.state)).toEqual([
      'queued',
      'queued',
      'queued',
    ]);
    await sync.close();
  });
});
