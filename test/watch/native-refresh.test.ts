import { lstatSync, mkdirSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { catchUpWalk } from '../../src/daemon/watch/catch-up-walk.js';
import type { WatchEvent } from '../../src/daemon/watch/folder-watcher.js';
import { NativeWatcher } from '../../src/daemon/watch/native-watcher.js';
import { createPathFilter } from '../../src/daemon/watch/path-filter.js';
import { createTree, tempDir } from '../helpers/fixtures.js';
import { waitFor } from '../helpers/wait.js';
import { recordingSink } from '../helpers/watch-sink.js';

let temp: ReturnType<typeof tempDir>;
let root: string;

beforeEach(() => {
  temp = tempDir();
  root = join(temp.path, 'folder');
  mkdirSync(root);
});

afterEach(() => temp.remove());

/** Backdates every file's mtime, so that only its ctime (a rename) can make it look recent; returns the latest ctime. */
function createOldTree(base: string, spec: Record<string, string>): number {
  createTree(base, spec);
  const longAgo = new Date('2020-01-01T00:00:00Z');
  for (const relPath of Object.keys(spec)) utimesSync(join(base, relPath), longAgo, longAgo);
  return Math.max(...Object.keys(spec).map((relPath) => lstatSync(join(base, relPath)).ctimeMs));
}

/** A moment after every given ctime, once the clock has passed it (file times can lag Date.now() by a tick). */
async function momentAfter(...ctimesMs: number[]): Promise<number> {
  const since = Math.max(...ctimesMs) + 1;
  await waitFor(() => Date.now() > since + 50, { what: 'the clock to move on', intervalMs: 10 });
  return since;
}

describe('catchUpWalk', () => {
  it('finds files changed since a moment, files renamed in since then, and directories never seen', async () => {
    const inside = createOldTree(root, { 'old.txt': 'o', 'known/old.txt': 'o', 'known/deeper/old.txt': 'o' });
    const outside = join(temp.path, 'outside');
    const beyond = createOldTree(outside, { 'renamed.txt': 'r', 'tree/a/b.txt': 'b' });
    const since = await momentAfter(inside, beyond);
    writeFileSync(join(root, 'known/new.txt'), 'n');
    renameSync(join(outside, 'renamed.txt'), join(root, 'renamed.txt'));
    renameSync(join(outside, 'tree'), join(root, 'known/tree'));
    const known = new Set(['', 'known', 'known/deeper']);

    const found = await catchUpWalk(root, createPathFilter(), { sinceMs: since, isKnownDir: (d) => known.has(d), stopped: () => false });

    expect(found.recentFiles.sort()).toEqual(['known/new.txt', 'renamed.txt']);
    expect(found.unknownDirs).toEqual(['known/tree']); // the topmost one only: its owner lists it whole
  });

  it('stops early when told to', async () => {
    createTree(root, Object.fromEntries(Array.from({ length: 2_500 }, (_, i) => [`f${i}.txt`, 'x'])));
    const found = await catchUpWalk(root, createPathFilter(), { sinceMs: 0, isKnownDir: () => true, stopped: () => true });
    expect(found.recentFiles).toHaveLength(1_000);
  });
});

describe('native watcher refresh', () => {
  const watchers: NativeWatcher[] = [];
  afterEach(async () => {
    for (const watcher of watchers.splice(0)) await watcher.close();
  });

  function start(beforeRefresh: () => void): { events: WatchEvent[]; missed: () => number; started: Promise<void> } {
    const { sink, events, missed } = recordingSink();
    let refreshes = 0;
    const watcher = new NativeWatcher(root, createPathFilter(), sink, {
      beforeRefresh: () => {
        if (refreshes++ === 0) beforeRefresh();
      },
    });
    watchers.push(watcher);
    return { events, missed, started: watcher.start() };
  }

  const saw = (events: WatchEvent[], relPath: string): boolean => events.some((e) => e.kind === 'changed' && e.relPath === relPath);

  // Written just before parcel's snapshot, these reach its tree (and the snapshot) before their
  // events reach us, and re-subscribing drops those events: only the catch-up walk reports them.
  it('reports files written as it re-subscribes, in known and in unseen directories', async () => {
    createTree(root, { 'known/a.txt': 'a', 'doomed.txt': 'd' });
    const outside = join(temp.path, 'outside');
    createOldTree(outside, { 'top.txt': 't', 'deep/x.txt': 'x' });
    const { events, missed, started } = start(() => {
      rmSync(join(root, 'doomed.txt')); // its event may be swallowed too, and there is nothing to list
      writeFileSync(join(root, 'at-root.txt'), 'r');
      writeFileSync(join(root, 'known/b.txt'), 'b');
      renameSync(outside, join(root, 'moved-in'));
    });
    await started;
    mkdirSync(join(root, 'n1/n2'), { recursive: true }); // a directory that arrives with a subdirectory: refresh

    const expected = ['at-root.txt', 'known/b.txt', 'moved-in/top.txt', 'moved-in/deep/x.txt'];
    await waitFor(() => expected.every((relPath) => saw(events, relPath)), {
      what: `${expected.join(', ')} (saw ${JSON.stringify(events)})`,
    });
    // ...so it asks its owner for a reconcile walk, which compares with what was backed up
    await waitFor(() => missed() >= 1, { what: 'a reconcile asked for' });
    writeFileSync(join(root, 'n1/n2/later.txt'), 'l'); // and the refreshed subscription watches the new subdirectory
    await waitFor(() => saw(events, 'n1/n2/later.txt'), { what: 'n1/n2/later.txt' });
    expect(events.filter((e) => e.kind !== 'changed' && e.relPath !== 'doomed.txt')).toEqual([]);
  });
});
