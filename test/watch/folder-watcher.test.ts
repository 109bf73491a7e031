import { appendFileSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFolderWatcher, type FolderWatcherOptions } from '../../src/daemon/watch/create-folder-watcher.js';
import type { FolderWatcher } from '../../src/daemon/watch/folder-watcher.js';
import { PathFilter } from '../../src/daemon/watch/path-filter.js';
import { SettleTracker, type SettledFile } from '../../src/daemon/watch/settle-tracker.js';
import { TEMP_FILE_GLOBS } from '../../src/lib/path-globs.js';
import { createTree, tempDir } from '../helpers/fixtures.js';
import { waitFor } from '../helpers/wait.js';
import { EventLog } from './event-log.js';
import { createSymlinkTrap } from './symlink-trap.js';

const BACKENDS = ['chokidar', 'native'] as const;

describe.each(BACKENDS)('%s watcher', (backend) => {
  let temp: ReturnType<typeof tempDir>;
  let root: string;
  const watchers: FolderWatcher[] = [];
  const trackers: SettleTracker[] = [];

  beforeEach(() => {
    temp = tempDir();
    root = join(temp.path, 'folder');
    mkdirSync(root);
  });

  afterEach(async () => {
    for (const tracker of trackers.splice(0)) tracker.close();
    for (const watcher of watchers.splice(0)) await watcher.close();
    temp.remove();
  });

  async function watch(options: Partial<FolderWatcherOptions> = {}): Promise<{ watcher: FolderWatcher; log: EventLog }> {
    const watcher = await createFolderWatcher(root, {
      backend,
      filter: new PathFilter(),
      coalesceMs: 50,
      rescanIntervalMs: 150,
      rootCheckMs: 100,
      ...options,
    });
    watchers.push(watcher);
    return { watcher, log: new EventLog(watcher) };
  }

  /** Written last and waited for, so that what should have been reported before it had its chance. */
  async function barrier(log: EventLog, name = 'zz-barrier.txt'): Promise<void> {
    writeFileSync(join(root, name), 'barrier');
    await waitFor(() => log.saw(name, 'changed'), { what: `barrier ${name}` });
  }

  /**
   * The native watcher re-subscribes when directories arrive with subdirectories, then asks for a
   * reconcile (ready). What is written meanwhile may be left to that reconcile walk (see NativeWatcher):
   * waiting for it makes a later write test the new subscription, not the snapshot that covers the gap.
   */
  async function resubscribed(log: EventLog, times: number): Promise<void> {
    if (backend !== 'native') return;
    await waitFor(() => log.health.filter((h) => h === 'ready:native').length >= times, { what: `re-subscription ${times}` });
  }

  it('reports a created file', async () => {
    const { watcher, log } = await watch();
    expect(watcher.backend).toBe(backend);
    writeFileSync(join(root, 'a.txt'), 'hello');
    await waitFor(() => log.saw('a.txt', 'changed'), { what: 'a.txt changed' });
  });

  it('reports appends to a file being written, which settles once at its final size', async () => {
    const { watcher, log } = await watch();
    const tracker = new SettleTracker(root, { settleMs: 300 });
    trackers.push(tracker);
    const settled: SettledFile[] = [];
    tracker.on('settled', (file) => settled.push(file));
    watcher.on('batch', (events) => events.forEach((e) => e.kind === 'changed' && tracker.track(e.relPath)));
    const file = join(root, 'growing.bin');
    for (let round = 1; round <= 3; round++) {
      appendFileSync(file, Buffer.alloc(1_000, round));
      await waitFor(() => log.count('growing.bin') >= round, { what: `append ${round} reported` });
    }
    await waitFor(() => settled.at(-1)?.size === 3_000, { what: 'settled at 3,000 bytes' });
    expect(settled.at(-1)?.relPath).toBe('growing.bin');
  });

  it('reports a rename as the old path removed and the new one changed', async () => {
    createTree(root, { 'old.txt': 'x', 'sub/inner.txt': 'y' });
    const { log } = await watch();
    renameSync(join(root, 'old.txt'), join(root, 'new.txt'));
    renameSync(join(root, 'sub/inner.txt'), join(root, 'moved-up.txt'));
    await waitFor(() => log.saw('old.txt', 'removed') && log.saw('new.txt', 'changed'), { what: 'rename at top' });
    await waitFor(() => log.saw('sub/inner.txt', 'removed') && log.saw('moved-up.txt', 'changed'), { what: 'rename across dirs' });
  });

  it('reports deleted files and removed directories', async () => {
    createTree(root, { 'gone.txt': 'x', 'dir/a.txt': 'a', 'dir/deeper/b.txt': 'b', 'kept/c.txt': 'c' });
    const { log } = await watch();
    rmSync(join(root, 'gone.txt'));
    rmSync(join(root, 'dir'), { recursive: true });
    await waitFor(() => log.saw('gone.txt', 'removed'), { what: 'gone.txt removed' });
    await waitFor(() => log.saw('dir', 'dir-removed'), { what: 'dir removed' });
    expect(log.saw('kept', 'dir-removed')).toBe(false);
  });

  it('sees files in nested folders created after start, right after mkdir', async () => {
    const { log } = await watch();
    mkdirSync(join(root, 'n1/n2/n3'), { recursive: true });
    writeFileSync(join(root, 'n1/a.txt'), 'a');
    writeFileSync(join(root, 'n1/n2/b.txt'), 'b');
    writeFileSync(join(root, 'n1/n2/n3/c.txt'), 'c');
    await waitFor(() => ['n1/a.txt', 'n1/n2/b.txt', 'n1/n2/n3/c.txt'].every((p) => log.saw(p, 'changed')), { what: 'nested files' });
    // and the deepest folder stays watched (native: once re-subscribed, which asks for a reconcile)
    await resubscribed(log, 1);
    writeFileSync(join(root, 'n1/n2/n3/later.txt'), 'later');
    await waitFor(() => log.saw('n1/n2/n3/later.txt', 'changed'), { what: 'later file in n3' });
    // mkdir -p with nothing in it: the deepest folder is watched too (parcel-bundler/watcher#97)
    mkdirSync(join(root, 'm1/m2/m3/m4/m5'), { recursive: true });
    writeFileSync(join(root, 'm1/top.txt'), 'top');
    await waitFor(() => log.saw('m1/top.txt', 'changed'), { what: 'm1/top.txt' });
    await resubscribed(log, 2);
    writeFileSync(join(root, 'm1/m2/m3/m4/m5/deep.txt'), 'deep');
    await waitFor(() => log.saw('m1/m2/m3/m4/m5/deep.txt', 'changed'), { what: 'deep file after mkdir -p' });
  });

  it('watches folders moved in from outside and moved within, including what is written in them later', async () => {
    const outside = join(temp.path, 'outside');
    createTree(outside, { 'tree/x/y/z.txt': 'z' });
    createTree(root, { 'here/p/q/r.txt': 'r' });
    const { log } = await watch();
    renameSync(join(outside, 'tree'), join(root, 'tree'));
    renameSync(join(root, 'here'), join(root, 'there'));
    await waitFor(() => log.saw('tree/x/y/z.txt', 'changed'), { what: 'moved-in file' });
    await waitFor(() => log.saw('here', 'dir-removed') && log.saw('there/p/q/r.txt', 'changed'), { what: 'moved-within' });
    writeFileSync(join(root, 'tree/x/y/later.txt'), '1');
    writeFileSync(join(root, 'there/p/q/later.txt'), '2');
    await waitFor(() => log.saw('tree/x/y/later.txt', 'changed'), { what: 'write into moved-in tree' });
    await waitFor(() => log.saw('there/p/q/later.txt', 'changed'), { what: 'write into moved-within tree' });
  });

  it('applies include and exclude globs, pruning excluded folders', async () => {
    createTree(root, { 'skip/old.txt': 'x', 'a/skip/old.txt': 'x', 'build/old.txt': 'x' });
    const filter = new PathFilter({ include: ['*.txt'], exclude: ['skip', 'build/**', 'secret.txt'] });
    const { log } = await watch({ filter });
    createTree(root, {
      'b.jpg': 'x',
      'secret.txt': 'x',
      'skip/c.txt': 'x',
      'a/skip/d.txt': 'x',
      'build/e.txt': 'x',
      'build/sub/f.txt': 'x',
      'ok/g.txt': 'x',
      'a.txt': 'x',
    });
    await waitFor(() => log.saw('a.txt', 'changed') && log.saw('ok/g.txt', 'changed'), { what: 'included files' });
    await barrier(log);
    const reported = new Set(log.events.map((e) => e.relPath));
    for (const ignored of ['b.jpg', 'secret.txt', 'skip/c.txt', 'a/skip/d.txt', 'build/e.txt', 'build/sub/f.txt']) {
      expect(reported.has(ignored), ignored).toBe(false);
    }
  });

  // The daemon's filter also lists the built-in temp-file globs as excludes (the config's `ignore`),
  // which the native watcher keeps out of its own pruning: the filter must still drop them.
  it.each([
    ['', []],
    [', the built-in globs listed as excludes', TEMP_FILE_GLOBS],
  ])('ignores temp and partial files and the state database%s', async (_, exclude) => {
    const db = join(root, 'state.db');
    const filter = new PathFilter({ ignoreAbsolute: [db], exclude });
    const { log } = await watch({ filter });
    const ignored = [
      'x.tmp',
      'movie.part',
      '.notes.swp',
      '~lock.docx',
      '.#draft',
      'sub/y.tmp',
      'state.db',
      'state.db-wal',
      'state.db-shm',
      'state.db-journal',
    ];
    for (const name of ignored) createTree(root, { [name]: 'x' });
    writeFileSync(join(root, 'real.txt'), 'x');
    await waitFor(() => log.saw('real.txt', 'changed'), { what: 'real.txt' });
    await barrier(log);
    const reported = new Set(log.events.map((e) => e.relPath));
    for (const name of ignored) expect(reported.has(name), name).toBe(false);
  });

  it('reports unicode and odd names as they are', async () => {
    const { log } = await watch();
    const names = ['with space.txt', 'plus+hash#q?pct%.txt', 'emoji 📷.jpg', 'ünïcødé/日本語.txt', 'quote\'"back\\slash.txt', '-dash.txt'];
    for (const name of names) createTree(root, { [name]: name });
    await waitFor(() => names.every((name) => log.saw(name, 'changed')), { what: 'odd names' });
  });

  it('does not follow a symlink loop or a symlink out of the folder', async () => {
    const outside = createSymlinkTrap(temp.path, root);
    const { log } = await watch();
    writeFileSync(join(outside, 'new-outside.txt'), 'x');
    writeFileSync(join(root, 'real/new.txt'), 'x');
    await waitFor(() => log.saw('real/new.txt', 'changed'), { what: 'real/new.txt' });
    await barrier(log);
    const followed = log.events.filter((e) => /^(loop|out)\/|\/up\//.test(e.relPath));
    expect(followed).toEqual([]);
  });

  it('reports root-missing when the folder vanishes (without deletions) and root-restored when it returns', async () => {
    createTree(root, { 'a.txt': 'a', 'sub/b.txt': 'b' });
    const { log } = await watch();
    const away = join(temp.path, 'unmounted');
    renameSync(root, away); // like an unmount: the files still exist, just not here
    await waitFor(() => log.health.includes('root-missing'), { what: 'root-missing' });
    expect(log.events.filter((e) => e.kind !== 'changed')).toEqual([]);
    renameSync(away, root);
    await waitFor(() => log.health.includes('root-restored'), { what: 'root-restored' });
    writeFileSync(join(root, 'after.txt'), 'x');
    await waitFor(() => log.saw('after.txt', 'changed'), { what: 'events after restore' });
  });

  it('restarts on a folder deleted and recreated at once (a new inode)', async () => {
    createTree(root, { 'a.txt': 'a' });
    const { log } = await watch();
    rmSync(root, { recursive: true });
    mkdirSync(root);
    await waitFor(() => log.health.includes('root-restored'), { what: 'root-restored' });
    expect(log.health).toContain('root-missing');
    writeFileSync(join(root, 'fresh.txt'), 'x');
    await waitFor(() => log.saw('fresh.txt', 'changed'), { what: 'events in the new folder' });
  });

  it('starts without its folder and begins watching when it appears', async () => {
    rmSync(root, { recursive: true });
    const { log } = await watch();
    mkdirSync(root);
    await waitFor(() => log.health.includes('root-restored') && log.health.includes(`ready:${backend}`), { what: 'restored' });
    writeFileSync(join(root, 'first.txt'), 'x');
    await waitFor(() => log.saw('first.txt', 'changed'), { what: 'first.txt' });
  });

  it('absorbs a storm of 5,000 new files in coalesced batches with nothing lost', async () => {
    const { log } = await watch();
    const expected: string[] = [];
    for (let d = 0; d < 50; d++) {
      mkdirSync(join(root, `d${d}`));
      for (let f = 0; f < 100; f++) {
        const relPath = `d${d}/f${f}.txt`;
        writeFileSync(join(root, relPath), relPath);
        expected.push(relPath);
      }
    }
    await waitFor(
      () => {
        const changed = log.changedPaths();
        return expected.every((p) => changed.has(p));
      },
      { what: 'all 5,000 files', timeoutMs: 60_000, intervalMs: 200 },
    );
    expect(log.batches.length).toBeLessThan(expected.length / 10);
    expect(Math.max(...log.batches.map((b) => b.length))).toBeGreaterThan(1);
    for (const batch of log.batches) expect(new Set(batch.map((e) => e.relPath)).size).toBe(batch.length);

    // and `rm -rf` of it all: every folder reported removed, in a few batches
    const batchesBefore = log.batches.length;
    for (let d = 0; d < 50; d++) rmSync(join(root, `d${d}`), { recursive: true });
    await waitFor(() => Array.from({ length: 50 }, (_, d) => `d${d}`).every((dir) => log.saw(dir, 'dir-removed')), {
      what: 'all 50 folders removed',
      timeoutMs: 60_000,
      intervalMs: 200,
    });
    expect(log.batches.length - batchesBefore).toBeLessThan(500);
  });

  it('falls back to rescans when the watch limit is hit while running (ENOSPC)', async () => {
    const { watcher, log } = await watch({ simulateLimit: { code: 'ENOSPC', at: 'running' } });
    await waitFor(() => log.health.some((h) => h.startsWith('degraded:')), { what: 'degraded' });
    const message = log.health.find((h) => h.startsWith('degraded:')) ?? '';
    expect(message).toContain('fs.inotify.max_user_watches');
    expect(message).toContain('ENOSPC');
    await waitFor(() => log.health.includes('ready:rescan'), { what: 'ready on rescan' });
    expect(watcher.backend).toBe('rescan');
    expect(watcher.degraded).toMatch(new RegExp(`^${backend} watcher .* \\(ENOSPC\\)`));
    await waitFor(() => log.health.filter((h) => h === 'ready:rescan').length >= 3, { what: 'a walk asked for every period' });
  });

  it('starts on rescans when the limit is hit while starting (EMFILE)', async () => {
    const { watcher, log } = await watch({ simulateLimit: { code: 'EMFILE', at: 'start' } });
    expect(watcher.backend).toBe('rescan');
    expect(watcher.degraded).toMatch(new RegExp(`^${backend} watcher .* \\(EMFILE\\).*max_user_instances`));
    await waitFor(() => log.health.filter((h) => h === 'ready:rescan').length >= 2, { what: 'a walk asked for every period' });
  });
});

describe('rescan watcher', () => {
  let temp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    temp = tempDir();
  });
  afterEach(() => temp.remove());

  it('reports no events: every rescan interval it asks for a walk (ready), again once a vanished folder is back', async () => {
    const root = join(temp.path, 'share');
    mkdirSync(root);
    const watcher = await createFolderWatcher(root, {
      backend: 'rescan',
      filter: new PathFilter(),
      rescanIntervalMs: 100,
      rootCheckMs: 50,
    });
    try {
      const log = new EventLog(watcher);
      writeFileSync(join(root, 'a.txt'), 'x');
      await waitFor(() => log.health.filter((h) => h === 'ready:rescan').length >= 3, { what: 'three walks asked for' });
      renameSync(root, join(temp.path, 'away'));
      await waitFor(() => log.health.includes('root-missing'), { what: 'root-missing' });
      renameSync(join(temp.path, 'away'), root);
      await waitFor(() => log.health.slice(log.health.indexOf('root-restored')).filter((h) => h === 'ready:rescan').length >= 2, {
        what: 'walks asked for after the folder came back',
      });
      expect(log.events).toEqual([]);
    } finally {
      await watcher.close();
    }
  });
});

describe('createFolderWatcher with auto', () => {
  let temp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    temp = tempDir();
  });
  afterEach(() => temp.remove());

  it('picks chokidar for a small folder and native above the threshold', async () => {
    createTree(temp.path, Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`d${i % 3}/f${i}`, 'x'])));
    for (const [nativeThreshold, expected] of [
      [100, 'chokidar'],
      [5, 'native'],
    ] as const) {
      const watcher = await createFolderWatcher(temp.path, { backend: 'auto', filter: new PathFilter(), nativeThreshold });
      try {
        expect(watcher.backend).toBe(expected);
      } finally {
        await watcher.close();
      }
    }
  });
});
