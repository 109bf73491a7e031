import type ParcelWatcher from '@parcel/watcher';
import type { Event as ParcelEvent } from '@parcel/watcher';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { PathFilter } from '../../src/daemon/watch/path-filter.js';
import { tempDir } from '../helpers/fixtures.js';
import { waitFor } from '../helpers/wait.js';
import { recordingSink } from '../helpers/watch-sink.js';

// What parcel folds into its tree but has not handed over when a refresh unsubscribes is dropped, yet it
// is in the snapshot, so getEventsSince does not report it either. Which events that hits depends on
// parcel's threads; here it is made certain: events under a swallowed path are never handed over.
const swallowed = vi.hoisted(() => new Set<string>());
vi.mock('@parcel/watcher', async (importOriginal) => {
  const real = (await importOriginal<{ default: typeof ParcelWatcher }>()).default;
  const handedOver = (events: ParcelEvent[]): ParcelEvent[] =>
    events.filter((event) => ![...swallowed].some((path) => event.path === path || event.path.startsWith(`${path}/`)));
  const parcel: typeof ParcelWatcher = {
    ...real,
    subscribe: (dir, callback, options) => real.subscribe(dir, (err, events) => callback(err, handedOver(events)), options),
    getEventsSince: async (dir, snapshot, options) => handedOver(await real.getEventsSince(dir, snapshot, options)),
  };
  return { default: parcel };
});
const { NativeWatcher } = await import('../../src/daemon/watch/native-watcher.js');

let temp: ReturnType<typeof tempDir>;
let root: string;
const watchers: InstanceType<typeof NativeWatcher>[] = [];

beforeEach(() => {
  temp = tempDir();
  root = join(temp.path, 'folder');
  mkdirSync(root);
});

afterEach(async () => {
  for (const watcher of watchers.splice(0)) await watcher.close();
  swallowed.clear();
  temp.remove();
});

it('lists a directory whose arrival parcel swallowed during a refresh, before asking for a reconcile walk', async () => {
  const { sink, events, missed } = recordingSink();
  let refreshes = 0;
  const watcher = new NativeWatcher(root, new PathFilter(), sink, {
    beforeRefresh: () => {
      if (refreshes++ > 0) return;
      swallowed.add(join(root, 'late'));
      mkdirSync(join(root, 'late'));
      writeFileSync(join(root, 'late/top.txt'), 't');
    },
  });
  watchers.push(watcher);
  await watcher.start();
  mkdirSync(join(root, 'n1/n2'), { recursive: true }); // a directory that arrives with a subdirectory: refresh
  await waitFor(() => missed() >= 1, { what: 'a reconcile asked for' });
  expect(events).toContainEqual({ kind: 'changed', relPath: 'late/top.txt' });
  swallowed.clear();
  rmSync(join(root, 'late'), { recursive: true }); // known as a directory: its whole subtree is gone
  await waitFor(() => events.some((e) => e.kind === 'dir-removed' && e.relPath === 'late'), { what: 'late removed as a directory' });
});
