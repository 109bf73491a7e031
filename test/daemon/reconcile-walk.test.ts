import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPathFilter } from '../../src/daemon/watch/path-filter.js';
import { walkTree, type WalkEntry } from '../../src/daemon/watch/tree-walker.js';
import type * as ParallelWalkModule from '../../src/daemon/reconcile-walk/parallel-walk.js';
import { createTree, tempDir } from '../helpers/fixtures.js';

// Walker threads run compiled JavaScript: the test drives the built module (npm test builds first).
const BUILT = join(import.meta.dirname, '../../dist/src/daemon/reconcile-walk/parallel-walk.js');
const { ParallelWalk } = (await import(BUILT)) as typeof ParallelWalkModule;

const dir = tempDir();
afterAll(() => dir.remove());

beforeAll(() => {
  const spec: Record<string, string> = {
    'top.txt': 'top',
    'skip/me.txt': 'excluded dir',
    'a/b/draft.tmp': 'temp',
    'a/b/odd name ü.txt': 'unicode',
  };
  for (let d = 0; d < 20; d++) for (let f = 0; f < 60; f++) spec[`d${d}/sub${f % 3}/f${f}.bin`] = `${d}-${f}`;
  createTree(dir.path, spec);
  mkdirSync(join(dir.path, 'loop'));
  symlinkSync('..', join(dir.path, 'loop', 'up')); // never followed
});

const filterOptions = { exclude: ['skip'] };

function sorted(entries: WalkEntry[]): WalkEntry[] {
  return [...entries].sort((x, y) => (x.relPath < y.relPath ? -1 : 1));
}

async function inThread(): Promise<WalkEntry[]> {
  const all: WalkEntry[] = [];
  for await (const batch of walkTree(dir.path, createPathFilter(filterOptions))) all.push(...batch);
  return sorted(all);
}

describe('ParallelWalk: directories read here, files stat-ed in threads', () => {
  it.each([2, 3])(
    'with %i threads finds exactly the files the in-thread walk finds, each once, with the same identity',
    async (threads) => {
      const expected = await inThread();
      expect(expected).toHaveLength(20 * 60 + 2);
      const walk = new ParallelWalk(dir.path, createPathFilter(filterOptions), threads, { chunk: 50 });
      const found: WalkEntry[] = [];
      let batches = 0;
      for await (const batch of walk) {
        batches++;
        for (let i = 0; i < batch.keys.length; i++) found.push(batch.entry(i));
      }
      expect(sorted(found)).toEqual(expected);
      expect(batches).toBeGreaterThan(4 * threads); // more chunks than the threads may queue: flow control was exercised
      expect(walk.rootFailed).toBe(false);
      expect(walk.errors()).toEqual([]);
    },
  );

  it('reports a missing root once, as a failed root', async () => {
    const walk = new ParallelWalk(join(dir.path, 'not-there'), createPathFilter(), 2);
    const batches = [];
    for await (const batch of walk) batches.push(batch);
    expect(batches).toEqual([]);
    expect(walk.rootFailed).toBe(true);
    expect(walk.errors()).toEqual([expect.objectContaining({ relPath: '', code: 'ENOENT' })]);
    expect(walk.errorCount).toBe(1);
  });

  it('stops its threads when the reader stops early', async () => {
    const walk = new ParallelWalk(dir.path, createPathFilter(filterOptions), 2, { chunk: 10 });
    for await (const batch of walk) {
      expect(batch.keys.length).toBeGreaterThan(0);
      break;
    }
    // Walking again works: nothing was left holding the tree or the process.
    let files = 0;
    for await (const batch of new ParallelWalk(dir.path, createPathFilter(filterOptions), 2)) files += batch.keys.length;
    expect(files).toBe(20 * 60 + 2);
  });
});
