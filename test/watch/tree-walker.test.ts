import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PathFilter } from '../../src/daemon/watch/path-filter.js';
import { countTree, TreeWalk, type WalkEntry } from '../../src/daemon/watch/tree-walker.js';
import { createTree, tempDir } from '../helpers/fixtures.js';
import { createSymlinkTrap } from './symlink-trap.js';

async function collect(root: string, filter: PathFilter): Promise<{ entries: WalkEntry[]; batches: number[] }> {
  const entries: WalkEntry[] = [];
  const batches: number[] = [];
  for await (const batch of new TreeWalk(root, filter)) {
    batches.push(batch.length);
    entries.push(...batch);
  }
  return { entries, batches };
}

describe('TreeWalk', () => {
  let temp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    temp = tempDir();
  });
  afterEach(() => {
    chmodSync(temp.path, 0o755);
    temp.remove();
  });

  it('lists every accepted regular file with size, mtimeNs, ino and dev', async () => {
    createTree(temp.path, { 'a.txt': 'aaa', 'd/b.txt': 'bb', 'd/e/f/c.txt': '', 'x.tmp': 'temp', 'emoji 📷.jpg': '1' });
    const { entries } = await collect(temp.path, new PathFilter());
    expect(entries.map((e) => e.relPath).sort()).toEqual(['a.txt', 'd/b.txt', 'd/e/f/c.txt', 'emoji 📷.jpg']);
    const a = entries.find((e) => e.relPath === 'a.txt');
    expect(a).toMatchObject({ size: 3 });
    expect(typeof a?.mtimeNs).toBe('bigint');
    expect(a?.mtimeNs).toBeGreaterThan(1_600_000_000_000_000_000n);
    expect(a?.ino).toBeGreaterThan(0n);
    expect(typeof a?.dev).toBe('bigint');
  });

  it('yields batches of 1,000 files', async () => {
    const spec: Record<string, string> = {};
    for (let i = 0; i < 2_500; i++) spec[`d${i % 7}/f${i}`] = 'x';
    createTree(temp.path, spec);
    const { entries, batches } = await collect(temp.path, new PathFilter());
    expect(entries).toHaveLength(2_500);
    expect(batches).toEqual([1_000, 1_000, 500]);
  });

  it('prunes excluded directories and applies include globs to files', async () => {
    createTree(temp.path, { 'keep/a.jpg': '', 'keep/b.png': '', 'node_modules/c.jpg': '', 'x/node_modules/d.jpg': '', 'build/e.jpg': '' });
    const filter = new PathFilter({ include: ['*.jpg'], exclude: ['node_modules', 'build/**'] });
    const walk = new TreeWalk(temp.path, filter);
    const seen: string[] = [];
    for await (const batch of walk) seen.push(...batch.map((e) => e.relPath));
    expect(seen).toEqual(['keep/a.jpg']);
    expect(walk.dirCount).toBe(2); // keep, x: the pruned ones are never opened
  });

  it('skips symlinks, so loops cannot hang it and nothing outside is followed', async () => {
    const root = join(temp.path, 'root');
    createSymlinkTrap(temp.path, root);
    const { entries } = await collect(root, new PathFilter());
    expect(entries.map((e) => e.relPath)).toEqual(['real/r.txt']);
  });

  it('walks a deep tree iteratively', async () => {
    const parts = Array.from({ length: 300 }, (_, i) => `${i % 10}`);
    const deep = parts.join('/');
    mkdirSync(join(temp.path, deep), { recursive: true });
    writeFileSync(join(temp.path, deep, 'leaf.txt'), 'x');
    const { entries } = await collect(temp.path, new PathFilter());
    expect(entries.map((e) => e.relPath)).toEqual([`${deep}/leaf.txt`]);
  });

  it('reports an unreadable root instead of an empty folder', async () => {
    const walk = new TreeWalk(join(temp.path, 'missing'), new PathFilter());
    for await (const _ of walk) expect.unreachable();
    expect(walk.rootFailed).toBe(true);
    expect(walk.errors[0]).toMatchObject({ relPath: '', code: 'ENOENT' });
  });

  it.skipIf(process.getuid?.() === 0)('collects EACCES on a directory and carries on', async () => {
    createTree(temp.path, { 'open/a.txt': 'a', 'locked/b.txt': 'b', 'z.txt': 'z' });
    chmodSync(join(temp.path, 'locked'), 0o000);
    try {
      const walk = new TreeWalk(temp.path, new PathFilter());
      const seen: string[] = [];
      for await (const batch of walk) seen.push(...batch.map((e) => e.relPath));
      expect(seen.sort()).toEqual(['open/a.txt', 'z.txt']);
      expect(walk.errors).toEqual([expect.objectContaining({ relPath: 'locked', code: 'EACCES' })]);
    } finally {
      chmodSync(join(temp.path, 'locked'), 0o755);
    }
  });

  it('walks only a subtree with `under`, keeping paths relative to the root', async () => {
    createTree(temp.path, { 'a/b/c.txt': '', 'a/d.txt': '', 'e.txt': '' });
    const walk = new TreeWalk(temp.path, new PathFilter(), { under: 'a' });
    const seen: string[] = [];
    for await (const batch of walk) seen.push(...batch.map((e) => e.relPath));
    expect(seen.sort()).toEqual(['a/b/c.txt', 'a/d.txt']);
  });

  it('counts files and directories without stat()ing them', () => {
    createTree(temp.path, { 'a/b/c.txt': '', 'a/d.txt': '', 'e.txt': '', 'f.tmp': '' });
    expect(countTree(temp.path, new PathFilter())).toEqual({ files: 3, dirs: 2, rootFailed: false });
  });
});
