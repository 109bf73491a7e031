import { appendFileSync, chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FolderConfig } from '../../src/config/index.js';
import { FIND_WALK_MIN_FILES } from '../../src/daemon/reconcile-walk/reconcile-walk.js';
import { reconcileFolder } from '../../src/daemon/reconciler.js';
import { PathFilter } from '../../src/daemon/watch/path-filter.js';
import { TreeWalk } from '../../src/daemon/watch/tree-walker.js';
import { StateStore } from '../../src/store/index.js';
import { createTree, tempDir } from '../helpers/fixtures.js';
import { folderConfig } from '../helpers/folder-sync.js';

let dir: ReturnType<typeof tempDir>;
let store: StateStore;
let folder: FolderConfig;

beforeEach(() => {
  dir = tempDir();
  const root = join(dir.path, 'tree');
  createTree(root, { 'a.txt': 'a', 'b.txt': 'b', 'sub/c.txt': 'c', 'sub/d.txt': 'd', 'logs/e.log': 'e' });
  folder = folderConfig({ name: 'f', path: root, prefix: 'p/' });
  store = StateStore.open(join(dir.path, 'state.db'));
});

afterEach(() => {
  store.close();
  dir.remove();
});

/** Records every file of the folder as uploaded, as a finished `once` would have. */
async function recordAllUploaded(): Promise<void> {
  const entries = [];
  for await (const batch of new TreeWalk(folder.path, new PathFilter())) entries.push(...batch);
  store.queue.observe(
    folder.name,
    entries.map((e) => ({ ...e, bucket: folder.bucket, key: `${folder.prefix}${e.relPath}` })),
  );
  for (const row of store.queue.claimDue(100)) {
    store.queue.markVerified(row.id, row.generation, { bucket: row.bucket, key: row.key, etag: '"E"', crc64: '1', fingerprint: row });
  }
}

const modes = [
  { name: 'in this thread', walk: { walker: 'in-thread' as const } },
  { name: 'by find', walk: { walker: 'find' as const } },
  // A find that dies half-way in a folder big enough for find: its records count, then a walk in
  // this thread (the only other walk) vouches for the rest.
  {
    name: 'by a find that fails, then in this thread',
    walk: { walker: 'find' as const, findCommand: brokenFind(), knownFiles: FIND_WALK_MIN_FILES },
  },
];

/** Prints the first two files' records as GNU find would, then fails as find never says. */
function brokenFind(): string {
  const path = join(tmpdir(), `oss-sync-broken-find-${process.pid}.sh`);
  writeFileSync(path, `#!/bin/sh\nfind "$@" | head -z -n 2\necho "find: something went wrong" >&2\nexit 3\n`);
  chmodSync(path, 0o755);
  afterAll(() => rmSync(path, { force: true }));
  return path;
}

it('queues a first sync (the default walk of a folder it knows nothing of) batch by batch, so uploads start before the walk ends', async () => {
  createTree(folder.path, Object.fromEntries(Array.from({ length: 1_500 }, (_, i) => [`many/f${i}.txt`, `${i}`])));
  const queuedAtEachCall: number[] = [];
  const result = await reconcileFolder(store, folder, new PathFilter(), {}, () => queuedAtEachCall.push(store.queue.countFor('f')));
  expect(result.queued).toBe(1_505);
  // The scheduler is woken (onQueued) while files are still to come, not only once at the end.
  expect(queuedAtEachCall.length).toBeGreaterThan(1);
  expect(queuedAtEachCall[0]).toBeLessThan(1_505);
});

describe.each(modes)('reconcileFolder, walking $name', ({ walk }) => {
  it('queues nothing for an unchanged tree, and exactly what changed, appeared, vanished or is now excluded', async () => {
    await recordAllUploaded();
    const filter = new PathFilter();
    expect(await reconcileFolder(store, folder, filter, walk)).toMatchObject({ scanned: 5, queued: 0, missing: [], excluded: [] });

    appendFileSync(join(folder.path, 'a.txt'), ' more');
    createTree(folder.path, { 'sub/new.txt': 'new' });
    rmSync(join(folder.path, 'sub/d.txt'));
    const result = await reconcileFolder(store, folder, new PathFilter({ exclude: ['logs'] }), walk);
    expect(result).toMatchObject({ scanned: 4, queued: 2, missing: ['sub/d.txt'], excluded: ['logs/e.log'], suspectEmpty: false });
    expect(store.queue.find('f', 'a.txt')?.state).toBe('queued');
    expect(store.queue.find('f', 'sub/new.txt')?.state).toBe('queued');
    expect(store.queue.find('f', 'b.txt')?.state).toBe('verified');
  });

  it('queues every file again when the folder now goes to another bucket or prefix', async () => {
    await recordAllUploaded();
    expect((await reconcileFolder(store, { ...folder, bucket: 'new-bucket' }, new PathFilter(), walk)).queued).toBe(5);
    await recordAllUploaded();
    expect((await reconcileFolder(store, { ...folder, prefix: 'q/' }, new PathFilter(), walk)).queued).toBe(5);
  });

  it('reports a file whose name is not UTF-8 (Node cannot open it) instead of skipping it silently', async () => {
    writeFileSync(Buffer.concat([Buffer.from(`${folder.path}/caf`), Buffer.from([0xe9]), Buffer.from('.txt')]), 'latin-1 name');
    const badDir = Buffer.concat([Buffer.from(`${folder.path}/bad`), Buffer.from([0xff]), Buffer.from('dir')]);
    mkdirSync(badDir);
    writeFileSync(Buffer.concat([badDir, Buffer.from('/inside.txt')]), 'in a directory Node cannot open');
    const result = await reconcileFolder(store, folder, new PathFilter(), walk);
    const eilseq = expect.stringMatching(/^EILSEQ: file name is not valid UTF-8/);
    expect(result.errors.sort((a, b) => (a.relPath < b.relPath ? -1 : 1))).toEqual(
      // find lists the file inside; the Node walks cannot open the directory: either way it is named.
      walk.walker === 'find' && walk.findCommand === undefined
        ? [
            { relPath: 'bad\uFFFDdir/inside.txt', message: eilseq },
            { relPath: 'caf\uFFFD.txt', message: eilseq },
          ]
        : [
            { relPath: 'bad\uFFFDdir', message: eilseq },
            { relPath: 'caf\uFFFD.txt', message: eilseq },
          ],
    );
    expect(result.queued).toBe(5);
  });

  it('says how it walked', async () => {
    const { walk: how } = await reconcileFolder(store, folder, new PathFilter(), walk);
    if (walk.findCommand !== undefined)
      expect(how).toMatch(/^in-thread \(find fell short: (find said: find: something went wrong|find exited with code 3)\)$/);
    else expect(how).toBe(walk.walker);
  });

  it('believes no mass delete from an empty mount point', async () => {
    await recordAllUploaded();
    for (const name of ['a.txt', 'b.txt', 'sub', 'logs']) rmSync(join(folder.path, name), { recursive: true });
    expect(await reconcileFolder(store, folder, new PathFilter(), walk)).toMatchObject({ scanned: 0, missing: [], suspectEmpty: true });
  });
});

describe('reconcileFolder after a find walk that fell short', () => {
  it('counts nothing as deleted that only find skipped, and finds it again in Node', async () => {
    // find -name '*.*' prunes "Photos.", which the filter's picomatch keeps: its files were never listed by find.
    createTree(folder.path, { 'Photos./README': 'a' }); // no dot: '*.*' excludes files too
    const filter = new PathFilter({ exclude: ['*.*'] });
    const entries = [];
    for await (const batch of new TreeWalk(folder.path, filter)) entries.push(...batch);
    expect(entries.map((e) => e.relPath)).toEqual(['Photos./README']);
    store.queue.observe(
      folder.name,
      entries.map((e) => ({ ...e, bucket: folder.bucket, key: `${folder.prefix}${e.relPath}` })),
    );
    for (const row of store.queue.claimDue(100)) {
      store.queue.markVerified(row.id, row.generation, { bucket: row.bucket, key: row.key, etag: '"E"', crc64: '1', fingerprint: row });
    }
    const result = await reconcileFolder(store, folder, filter, { walker: 'find' });
    expect(result).toMatchObject({ queued: 0, missing: [], excluded: [] });
    expect(result.walk).toBe('in-thread (find fell short: find pruned "Photos.", which the folder\'s filter keeps)');
  });
});
