import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { WatchEvent } from '../../src/daemon/watch/folder-watcher.js';
import { NativeWatcher } from '../../src/daemon/watch/native-watcher.js';
import { PathFilter } from '../../src/daemon/watch/path-filter.js';
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

describe('native watcher refresh', () => {
  const watchers: NativeWatcher[] = [];
  afterEach(async () => {
    for (const watcher of watchers.splice(0)) await watcher.close();
  });

  function start(beforeRefresh: () => void): { events: WatchEvent[]; missed: () => number; started: Promise<void> } {
    const { sink, events, missed } = recordingSink();
    let refreshes = 0;
    const watcher = new NativeWatcher(root, new PathFilter(), sink, {
      beforeRefresh: () => {
        if (refreshes++ === 0) beforeRefresh();
      },
    });
    watchers.push(watcher);
    return { events, missed, started: watcher.start() };
  }

  const saw = (events: WatchEvent[], relPath: string): boolean => events.some((e) => e.kind === 'changed' && e.relPath === relPath);

  // Written just before parcel's snapshot, these reach its tree (and the snapshot) before their
  // events reach us, and re-subscribing drops those events: only a reconcile walk finds them.
  it('asks for a reconcile walk once it has re-subscribed, and watches the new subdirectories', async () => {
    createTree(root, { 'known/a.txt': 'a', 'doomed.txt': 'd' });
    const outside = join(temp.path, 'outside');
    createTree(outside, { 'top.txt': 't', 'deep/x.txt': 'x' });
    const { events, missed, started } = start(() => {
      rmSync(join(root, 'doomed.txt'));
      writeFileSync(join(root, 'at-root.txt'), 'r');
      writeFileSync(join(root, 'known/b.txt'), 'b');
      renameSync(outside, join(root, 'moved-in'));
    });
    await started;
    mkdirSync(join(root, 'n1/n2'), { recursive: true }); // a directory that arrives with a subdirectory: refresh
    await waitFor(() => missed() >= 1, { what: 'a reconcile asked for' });
    writeFileSync(join(root, 'n1/n2/later.txt'), 'l'); // the refreshed subscription watches the new subdirectory
    await waitFor(() => saw(events, 'n1/n2/later.txt'), { what: 'n1/n2/later.txt' });
    writeFileSync(join(root, 'moved-in/deep/later.txt'), 'l'); // and one moved in during the refresh
    await waitFor(() => saw(events, 'moved-in/deep/later.txt'), { what: 'moved-in/deep/later.txt' });
    expect(events.filter((e) => e.kind !== 'changed' && e.relPath !== 'doomed.txt')).toEqual([]);
  });
});
