import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import picomatch from 'picomatch';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FindWalk } from '../../src/daemon/reconcile-walk/find-walk.js';
import { createFolderWatcher } from '../../src/daemon/watch/create-folder-watcher.js';
import type { FolderWatcher } from '../../src/daemon/watch/folder-watcher.js';
import { PathFilter } from '../../src/daemon/watch/path-filter.js';
import { TreeWalk } from '../../src/daemon/watch/tree-walker.js';
import { isTempFileName, TEMP_FILE_GLOBS } from '../../src/lib/path-globs.js';
import { relPathOfReconcileKey } from '../../src/store/index.js';
import { createTree, tempDir } from '../helpers/fixtures.js';
import { waitFor } from '../helpers/wait.js';
import { EventLog } from './event-log.js';

const gnuFind = (() => {
  try {
    return execFileSync('find', ['--version']).toString().includes('GNU findutils');
  } catch {
    return false;
  }
})();

/** Backed up: near misses of the temp-file names. */
const KEPT = ['tmp', 'x.tmp.txt', 'a~', 'x.parts', 'part.mkv', '#x', 'a.TMP', 'sub/.tmpfile', 'sub/swp', 'state.db.bak'];
/** Never backed up: a temp-file name at any depth, anything under a directory with one, the state database. */
const IGNORED = [
  'x.tmp',
  '.tmp',
  'movie.part',
  '.notes.swp',
  '~',
  '~lock.docx',
  '.#draft',
  'sub/y.tmp',
  'sub/deeper/~$doc.docx',
  'render.tmp/frame.png',
  '~old/a.txt',
  '.#dir/b.txt',
  'state.db',
  'state.db-wal',
];

let temp: ReturnType<typeof tempDir>;
let root: string;
beforeEach(() => {
  temp = tempDir();
  root = join(temp.path, 'folder');
  mkdirSync(root);
});
afterEach(() => temp.remove());

/** The daemon's filter for a folder: the config's `ignore` (the temp-file globs) as excludes, the state DB by path. */
function daemonFilter(): PathFilter {
  return new PathFilter({ exclude: [...TEMP_FILE_GLOBS], ignoreAbsolute: [join(root, 'state.db')] });
}

function createAll(): void {
  createTree(root, Object.fromEntries([...KEPT, ...IGNORED].map((relPath) => [relPath, relPath])));
}

describe('the temp-file names: one definition, the same verdict everywhere', () => {
  it('isTempFileName() says what TEMP_FILE_GLOBS match', () => {
    const globs = picomatch([...TEMP_FILE_GLOBS], { dot: true });
    for (const name of [...KEPT, ...IGNORED].flatMap((relPath) => relPath.split('/'))) expect(isTempFileName(name), name).toBe(globs(name));
  });

  const walks: Array<[string, boolean, () => AsyncIterable<string[]>]> = [
    ['in-thread', true, () => mapBatches(new TreeWalk(root, daemonFilter()), (batch) => batch.map((e) => e.relPath))],
    ['find', gnuFind, () => mapBatches(new FindWalk(root, daemonFilter()), (batch) => batch.keys.map(relPathOfReconcileKey))],
  ];
  it.each(walks)('the %s walk keeps exactly the other names', async (_, available, walk) => {
    if (!available) return;
    createAll();
    const found: string[] = [];
    for await (const paths of walk()) found.push(...paths);
    expect(found.sort()).toEqual([...KEPT].sort());
  });

  // The rescan backend has no events: a rescan is a reconcile walk, whose verdicts are the walks' above.
  describe.each(['chokidar', 'native'] as const)('the %s watcher', (backend) => {
    let watcher: FolderWatcher | undefined;
    afterEach(async () => {
      await watcher?.close();
      watcher = undefined;
    });

    it('reports exactly the other names', async () => {
      watcher = await createFolderWatcher(root, {
        backend,
        filter: daemonFilter(),
        coalesceMs: 50,
        rescanIntervalMs: 150,
        rootCheckMs: 100,
      });
      const log = new EventLog(watcher);
      createAll();
      // Written last and waited for, so that what should have been reported before it had its chance.
      writeFileSync(join(root, 'zz-barrier.txt'), 'barrier');
      await waitFor(() => [...KEPT, 'zz-barrier.txt'].every((relPath) => log.saw(relPath, 'changed')), { what: 'every kept name' });
      expect([...new Set(log.events.map((e) => e.relPath))].sort()).toEqual([...KEPT, 'zz-barrier.txt'].sort());
    });
  });
});

async function* mapBatches<T>(walk: AsyncIterable<T>, paths: (batch: T) => string[]): AsyncIterable<string[]> {
  for await (const batch of walk) yield paths(batch);
}
