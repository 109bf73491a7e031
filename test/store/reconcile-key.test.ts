import { execFileSync } from 'node:child_process';
import { lstatSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseReconcileKey, RECONCILE_KEY_FIND_FORMAT, reconcileKey } from '../../src/store/reconcile-key.js';
import { createTree } from '../helpers/fixtures.js';
import { useStore } from '../helpers/store.js';

const gnuFind = (() => {
  try {
    return execFileSync('find', ['--version']).toString().includes('GNU findutils');
  } catch {
    return false;
  }
})();

/** Odd names, an empty file, and mtimes (seconds) before 1970, within a second of the epoch, whole and fractional. */
const FILES: Record<string, { content: string; mtime?: number }> = {
  'plain.txt': { content: 'plain' }, // the file system's own nanoseconds
  empty: { content: '' },
  'odd name ü 📷.txt': { content: 'unicode and a space', mtime: 1_700_000_000.123456 },
  'colon:in:name': { content: 'colons, as in the key', mtime: 1_000_000_000 },
  'new\nline': { content: 'a newline', mtime: 0.5 },
  'back\\slash': { content: 'a backslash' },
  '-dash': { content: 'a leading dash' },
  'pct %s %T@ %P': { content: "find's own directives in a name" },
  'with space/nested ü/deep.bin': { content: 'deep', mtime: -100_000.25 },
  'quote\'"': { content: 'quotes', mtime: 4_102_444_800.000001 },
};

describe('the reconcile key: JavaScript, SQL and find agree', () => {
  const ctx = useStore();

  it.skipIf(!gnuFind)('on real files: odd names, an empty file, sub-second mtimes, before 1970', () => {
    const root = join(ctx.dir, 'tree');
    createTree(root, Object.fromEntries(Object.entries(FILES).map(([relPath, f]) => [relPath, f.content])));
    for (const [relPath, f] of Object.entries(FILES)) if (f.mtime !== undefined) utimesSync(join(root, relPath), f.mtime, f.mtime);

    // JavaScript, as the stat walks build keys.
    const stats = Object.keys(FILES).map((relPath) => ({ relPath, ...lstatSync(join(root, relPath), { bigint: true }) }));
    const js = stats.map((s) => reconcileKey(s.size, s.mtimeNs, s.ino, s.relPath)).sort();
    expect(stats.some((s) => s.mtimeNs % 1_000_000_000n !== 0n && s.mtimeNs > 0n)).toBe(true);

    // find, as the find walk reads them.
    const out = execFileSync('find', [root, '-mindepth', '1', '-type', 'f', '-printf', `${RECONCILE_KEY_FIND_FORMAT}\\0`], {
      env: { PATH: process.env.PATH, LC_ALL: 'C' },
    });
    const found = out.toString('utf8').split('\0').slice(0, -1).sort();
    expect(found).toEqual(js);

    // SQL, as the store writes them for rows in step with the folder's destination.
    ctx.store.queue.observe(
      'f',
      stats.map((s) => ({
        relPath: s.relPath,
        size: Number(s.size),
        mtimeNs: s.mtimeNs,
        ino: s.ino,
        dev: s.dev,
        bucket: 'b',
        key: `p/${s.relPath}`,
      })),
    );
    expect([...ctx.store.queue.reconcileKeys('f', { bucket: 'b', prefix: 'p/' })].sort()).toEqual(js);

    // And back: a find walk's changed file is parsed from its key.
    for (const s of stats)
      expect(parseReconcileKey(reconcileKey(s.size, s.mtimeNs, s.ino, s.relPath))).toEqual({
        size: Number(s.size),
        mtimeNs: s.mtimeNs,
        ino: s.ino,
        relPath: s.relPath,
      });
  });

  it('parses only text in its shape', () => {
    for (const text of ['', 'x', '5:1.0000000000', '5:1.000000000:7/a', 'x:1.0000000000:7/a', '5:1.0000000000:i/a', ':1.0000000000:7/a'])
      expect(parseReconcileKey(text), text).toBeUndefined();
  });
});
