import { appendFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FolderConfig } from '../../src/config/index.js';
import type * as ReconcilerModule from '../../src/daemon/reconciler.js';
import type * as WatchModule from '../../src/daemon/watch/index.js';
import type * as StoreModule from '../../src/store/index.js';
import { createTree, tempDir } from '../helpers/fixtures.js';

// The built modules: the parallel walk runs compiled walker threads (npm test builds first).
const DIST = join(import.meta.dirname, '../../dist/src');
const { reconcileFolder } = (await import(join(DIST, 'daemon/reconciler.js'))) as typeof ReconcilerModule;
const { createPathFilter, walkTree } = (await import(join(DIST, 'daemon/watch/index.js'))) as typeof WatchModule;
const { StateStore } = (await import(join(DIST, 'store/index.js'))) as typeof StoreModule;

let dir: ReturnType<typeof tempDir>;
let store: StoreModule.StateStore;
let folder: FolderConfig;

beforeEach(() => {
  dir = tempDir();
  const root = join(dir.path, 'tree');
  createTree(root, { 'a.txt': 'a', 'b.txt': 'b', 'sub/c.txt': 'c', 'sub/d.txt': 'd', 'logs/e.log': 'e' });
  folder = { name: 'f', path: root, bucket: 'b', prefix: 'p/', include: [], exclude: [], deletePolicy: 'keep', partSize: 8 << 20, watcher: 'auto' };
  store = StateStore.open(join(dir.path, 'state.db'));
});

afterEach(() => {
  store.close();
  dir.remove();
});

/** Records every file of the folder as uploaded, as a finished `once` would have. */
async function recordAllUploaded(): Promise<void> {
  const entries = [];
  for await (const batch of walkTree(folder.path, createPathFilter())) entries.push(...batch);
  store.queue.observe(folder.name, entries.map((e) => ({ ...e, bucket: folder.bucket, key: `${folder.prefix}${e.relPath}` })));
  for (const row of store.queue.claimDue(100)) {
    store.queue.markVerified(row.id, row.generation, { bucket: row.bucket, key: row.key, etag: '"E"', crc64: '1', fingerprint: row });
  }
}

const modes = [
  { name: 'in this thread', walk: { threads: 0 } },
  { name: 'in walker threads', walk: { threads: 2, parallelFrom: 0 } },
];

describe.each(modes)('reconcileFolder, walking $name', ({ walk }) => {
  it('queues nothing for an unchanged tree, and exactly what changed, appeared, vanished or is now excluded', async () => {
    await recordAllUploaded();
    const filter = createPathFilter();
    expect(await reconcileFolder(store, folder, filter, walk)).toMatchObject({ scanned: 5, queued: 0, missing: [], excluded: [] });

    appendFileSync(join(folder.path, 'a.txt'), ' more');
    createTree(folder.path, { 'sub/new.txt': 'new' });
    rmSync(join(folder.path, 'sub/d.txt'));
    const result = await reconcileFolder(store, folder, createPathFilter({ exclude: ['logs'] }), walk);
    expect(result).toMatchObject({ scanned: 4, queued: 2, missing: ['sub/d.txt'], excluded: ['logs/e.log'], suspectEmpty: false });
    expect(store.queue.find('f', 'a.txt')?.state).toBe('queued');
    expect(store.queue.find('f', 'sub/new.txt')?.state).toBe('queued');
    expect(store.queue.find('f', 'b.txt')?.state).toBe('verified');
  });

  it('queues every file again when the folder now goes to another bucket or prefix', async () => {
    await recordAllUploaded();
    expect((await reconcileFolder(store, { ...folder, bucket: 'new-bucket' }, createPathFilter(), walk)).queued).toBe(5);
    await recordAllUploaded();
    expect((await reconcileFolder(store, { ...folder, prefix: 'q/' }, createPathFilter(), walk)).queued).toBe(5);
  });

  it('believes no mass delete from an empty mount point', async () => {
    await recordAllUploaded();
    for (const name of ['a.txt', 'b.txt', 'sub', 'logs']) rmSync(join(folder.path, name), { recursive: true });
    expect(await reconcileFolder(store, folder, createPathFilter(), walk)).toMatchObject({ scanned: 0, missing: [], suspectEmpty: true });
  });
});
