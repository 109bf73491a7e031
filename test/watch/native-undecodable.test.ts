import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { NativeWatcher } from '../../src/daemon/watch/native-watcher.js';
import { PathFilter } from '../../src/daemon/watch/path-filter.js';
import { tempDir } from '../helpers/fixtures.js';
import { waitFor } from '../helpers/wait.js';
import { recordingSink } from '../helpers/watch-sink.js';

let temp: ReturnType<typeof tempDir>;
let root: string;
let watcher: NativeWatcher | undefined;

beforeEach(() => {
  temp = tempDir();
  root = join(temp.path, 'folder');
  mkdirSync(root);
});

afterEach(async () => {
  await watcher?.close();
  watcher = undefined;
  temp.remove();
});

// parcel hands over `a\xff.txt` as `a\uFFFD.txt`, the name of the real file beside it, which lstat
// then finds: only a walk (names as bytes) can name the other, so the watcher asks for one.
it('asks for a reconcile when a name that is not UTF-8 appears beside its real U+FFFD twin', async () => {
  writeFileSync(join(root, 'a\uFFFD.txt'), 'real U+FFFD');
  const { sink, events, missed } = recordingSink();
  watcher = new NativeWatcher(root, new PathFilter(), sink);
  await watcher.start();
  writeFileSync(join(root, 'a\uFFFD.txt'), 'real U+FFFD, changed');
  await waitFor(() => events.some((e) => e.relPath === 'a\uFFFD.txt'), { what: 'the real file changing' });
  expect(missed()).toBe(0); // no twin yet: a U+FFFD name alone is an ordinary file
  writeFileSync(Buffer.concat([Buffer.from(`${root}/a`), Buffer.from([0xff]), Buffer.from('.txt')]), 'not UTF-8');
  await waitFor(() => missed() > 0, { what: 'a reconcile asked for' });
});
