import { execFileSync } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { findArgs, findWalkSupported, FindWalk, parseFindErrorLine, probeFind } from '../../src/daemon/reconcile-walk/find-walk.js';
import { PathFilter, type PathFilterOptions } from '../../src/daemon/watch/path-filter.js';
import { TreeWalk, type WalkEntry } from '../../src/daemon/watch/tree-walker.js';
import { reconcileKey } from '../../src/store/index.js';
import { createTree, tempDir } from '../helpers/fixtures.js';

const dir = tempDir();
afterAll(() => dir.remove());
const tree = join(dir.path, 'tree');
const gnuFind = (() => {
  try {
    return execFileSync('find', ['--version']).toString().includes('GNU findutils');
  } catch {
    return false;
  }
})();

/** A stand-in for find: a shell script (the walk cannot tell). */
function fakeFind(name: string, script: string): string {
  const path = join(dir.path, name);
  writeFileSync(path, `#!/bin/sh\n${script}\n`);
  chmodSync(path, 0o755);
  return path;
}

beforeAll(() => {
  const spec: Record<string, string> = {
    'top.txt': 'top',
    'skip/me.txt': 'in a directory excluded by name: find prunes it',
    'cache-a/x.bin': 'in a directory excluded by a brace glob: find walks it, the filter drops it',
    'a/b/draft.tmp': 'temp file',
    'a/b/odd name ü.txt': 'unicode and a space',
    'a/b/colon:in:name.txt': 'colons, as in the key',
    'a/b/new\nline.txt': 'a newline in a name',
    'logs/app.log': 'excluded by a path glob',
    'logs/keep.txt': 'kept',
    'state.db': 'the state database: never backed up',
  };
  for (let d = 0; d < 30; d++) for (let f = 0; f < 40; f++) spec[`d${d}/f${f}.bin`] = `${d}-${f}`;
  createTree(tree, spec);
  utimesSync(join(tree, 'top.txt'), -100_000.25, -100_000.25); // before 1970
  utimesSync(join(tree, 'logs/keep.txt'), 0.5, 0.5); // within the epoch's first second
  mkdirSync(join(tree, 'loop'));
  symlinkSync('..', join(tree, 'loop', 'up')); // never followed
  symlinkSync('top.txt', join(tree, 'link-to-top.txt')); // a link, not a file
});

const options: PathFilterOptions = { exclude: ['skip', '{cache-a,cache-b}', 'logs/*.log'], ignoreAbsolute: [join(tree, 'state.db')] };

function sorted(entries: WalkEntry[]): WalkEntry[] {
  return [...entries].sort((x, y) => (x.relPath < y.relPath ? -1 : 1));
}

async function inThread(root = tree): Promise<WalkEntry[]> {
  const all: WalkEntry[] = [];
  for await (const batch of new TreeWalk(root, new PathFilter(options))) all.push(...batch);
  return sorted(all);
}

async function byFind(walk: FindWalk): Promise<{ entries: WalkEntry[]; keys: string[] }> {
  const entries: WalkEntry[] = [];
  const keys: string[] = [];
  for await (const batch of walk) {
    keys.push(...batch.keys);
    for (let i = 0; i < batch.keys.length; i++) entries.push(batch.entry(i));
  }
  return { entries: sorted(entries), keys: keys.sort() };
}

describe.skipIf(!gnuFind)('FindWalk: GNU find lists, the filter decides', () => {
  it('passes the probe here, and a find that cannot do the job does not', () => {
    expect(findWalkSupported()).toBe(true);
    expect(probeFind('/bin/false')).toBe(false);
    expect(probeFind(fakeFind('busybox-find', 'echo "find: unrecognized: -printf" >&2; exit 1'))).toBe(false);
    expect(probeFind(join(dir.path, 'no-such-find'))).toBe(false);
  });

  it('finds exactly the files the in-process walk finds, with the same identities and the same keys', async () => {
    const expected = await inThread();
    expect(expected.map((e) => e.relPath)).toContain('a/b/new\nline.txt');
    expect(expected.map((e) => e.relPath)).not.toContain('cache-a/x.bin');
    const walk = new FindWalk(tree, new PathFilter(options));
    const { entries, keys } = await byFind(walk);
    expect(entries).toEqual(expected);
    expect(keys).toEqual(expected.map((e) => reconcileKey(e.size, e.mtimeNs, e.ino, e.relPath)).sort());
    expect(walk.incomplete).toBeUndefined();
    expect(walk.errors).toEqual([]);
    expect(walk.rootFailed).toBe(false);
  });

  it('follows a root that is a symlink, as opening it does', async () => {
    const link = join(dir.path, 'tree-link');
    symlinkSync(tree, link);
    const { entries } = await byFind(new FindWalk(link, new PathFilter(options)));
    expect(entries).toEqual(await inThread(link));
  });

  it('reports a missing root, or a root that is a file, as a failed root', async () => {
    for (const [root, code] of [
      [join(dir.path, 'not-there'), 'ENOENT'],
      [join(tree, 'top.txt'), 'ENOTDIR'],
    ] as const) {
      const walk = new FindWalk(root, new PathFilter());
      expect((await byFind(walk)).entries).toEqual([]);
      expect(walk.rootFailed).toBe(true);
      expect(walk.errors).toEqual([expect.objectContaining({ relPath: '', code })]);
    }
  });

  it('says it is incomplete when find fails, or says what it does not understand', async () => {
    const failing = new FindWalk(
      tree,
      new PathFilter(),
      fakeFind('failing-find', 'echo "find: fts_read failed: Cannot allocate memory" >&2; exit 1'),
    );
    expect((await byFind(failing)).entries).toEqual([]);
    expect(failing.incomplete).toContain('fts_read failed');
    const crashed = new FindWalk(tree, new PathFilter(), fakeFind('crashing-find', 'kill -9 $$'));
    await byFind(crashed);
    expect(crashed.incomplete).toContain('SIGKILL');
    const absent = new FindWalk(tree, new PathFilter(), join(dir.path, 'no-such-find'));
    await byFind(absent);
    expect(absent.incomplete).toContain('cannot run find');
  });

  it('is incomplete when find pruned a directory the filter keeps (find -name and picomatch differ at the edges)', async () => {
    const root = join(dir.path, 'pruned');
    createTree(root, { 'Photos./a.jpg': 'find -name "*.*" matches "Photos.", picomatch does not', 'x.y/b.jpg': 'both match' });
    const filter = new PathFilter({ exclude: ['*.*'] });
    expect(filter.acceptsDir('Photos.')).toBe(true);
    const walk = new FindWalk(root, filter);
    await byFind(walk);
    expect(walk.incomplete).toBe('find pruned "Photos.", which the folder\'s filter keeps');
    // Where both agree, pruning is silent.
    const agreed = new FindWalk(root, new PathFilter({ exclude: ['x.y', 'Photos.'] }));
    expect((await byFind(agreed)).entries).toEqual([]);
    expect(agreed.incomplete).toBeUndefined();
  });

  it('leaves out, as an error of its directory, a file whose path is too long for Node to open', async () => {
    const root = join(dir.path, 'deep');
    const names = Array.from({ length: 22 }, (_, depth) => `${String(depth).padStart(2, '0')}${'d'.repeat(198)}`);
    createTree(root, { 'short.txt': 's' });
    // The shell makes each directory relative to the last, as find walks; Node cannot (nor remove it).
    const script = 'cd "$1" && shift && for d in "$@"; do mkdir "$d" && cd -P "$d" || exit 1; done && echo deep > deep.txt';
    execFileSync('sh', ['-c', script, 'sh', root, ...names]);
    try {
      const walk = new FindWalk(root, new PathFilter());
      const { entries } = await byFind(walk);
      expect(entries.map((e) => e.relPath)).toEqual(['short.txt']);
      expect(walk.errors).toEqual([expect.objectContaining({ relPath: names.join('/'), code: 'ENAMETOOLONG' })]);
      expect(walk.incomplete).toBeUndefined();
    } finally {
      execFileSync('rm', ['-rf', root]);
    }
  });

  it('keeps a name with a real U+FFFD apart from a name that is not UTF-8 and decodes the same', async () => {
    const root = join(dir.path, 'replacement');
    mkdirSync(root);
    writeFileSync(join(root, 'a\uFFFD'), 'valid UTF-8');
    writeFileSync(Buffer.concat([Buffer.from(`${root}/a`), Buffer.from([0xff])]), 'not UTF-8, longer content');
    const valid = lstatSync(join(root, 'a\uFFFD'), { bigint: true });
    const walk = new FindWalk(root, new PathFilter());
    const { entries } = await byFind(walk);
    expect(entries).toEqual([{ relPath: 'a\uFFFD', size: 11, mtimeNs: valid.mtimeNs, ino: valid.ino, dev: valid.dev }]);
    // Told apart by its bytes, the other is named, not dropped because a file has its decoded name.
    expect(walk.errors).toEqual([expect.objectContaining({ relPath: 'a\uFFFD', code: 'EILSEQ' })]);
  });

  it('is incomplete when closed before find finished', async () => {
    const walk = new FindWalk(tree, new PathFilter());
    walk.start();
    walk.close();
    expect((await byFind(walk)).entries).toEqual([]);
    expect(walk.incomplete).toBe('closed before find finished');
  });

  it('joins a record find wrote in two pieces, and is incomplete when its output ends mid-record', async () => {
    const device = `r="$(stat -c '%d' "${tree}/top.txt") 3:1.0000000000:7"`;
    // The pause makes the pipe hand the first piece over on its own.
    const split = new FindWalk(
      tree,
      new PathFilter(),
      fakeFind('split-find', `${device}\nprintf '%s' "$r"\nsleep 0.3\nprintf '/top.txt\\0'`),
    );
    expect((await byFind(split)).keys).toEqual(['3:1.0000000000:7/top.txt']);
    expect(split.incomplete).toBeUndefined();
    const cut = new FindWalk(tree, new PathFilter(), fakeFind('cut-find', `${device}\nprintf '%s/top.txt' "$r"`));
    expect((await byFind(cut)).keys).toEqual([]);
    expect(cut.incomplete).toBe('find output ends in the middle of a record');
  });

  it('takes a file that vanished while find ran as gone, not as an error, and keeps what find could not read', async () => {
    const script = [
      // One real record, then what GNU find says of a file deleted under it and of a locked directory.
      `printf '%s\\0' "$(stat -c '%d' "${tree}/top.txt") 3:1.0000000000:7/top.txt"`,
      `echo "find: '${tree}/d1/f1.bin': No such file or directory" >&2`,
      `echo "find: '${tree}/d2': Permission denied" >&2`,
      'exit 1',
    ].join('\n');
    const walk = new FindWalk(tree, new PathFilter(), fakeFind('partial-find', script));
    const { keys } = await byFind(walk);
    expect(keys).toEqual(['3:1.0000000000:7/top.txt']);
    expect(walk.incomplete).toBeUndefined();
    expect(walk.errors).toEqual([{ relPath: 'd2', code: 'EACCES', message: `Permission denied: ${tree}/d2` }]);
  });
});

describe('the find child environment', () => {
  it('holds PATH and LC_ALL=C only: no OSS_* variable, no secret of the daemon', async () => {
    const secret = 'oss-secret-never-in-a-child';
    const out = join(dir.path, 'find-env.json');
    // A find that records its environment (a Node script: a shell would add PWD and friends).
    const dumper = join(dir.path, 'env-dumping-find');
    writeFileSync(dumper, `#!${process.execPath}\nrequire('fs').writeFileSync(${JSON.stringify(out)}, JSON.stringify(process.env));\n`);
    chmodSync(dumper, 0o755);
    vi.stubEnv('OSS_ACCESS_KEY_SECRET', secret);
    vi.stubEnv('OSS_STS_TOKEN', secret);
    vi.stubEnv('MY_BACKUP_PASSWORD', secret);
    try {
      const walk = new FindWalk(tree, new PathFilter(), dumper);
      await byFind(walk);
      const env = JSON.parse(readFileSync(out, 'utf8')) as Record<string, string>;
      expect(Object.keys(env).sort()).toEqual(['LC_ALL', 'PATH']);
      expect(env.LC_ALL).toBe('C');
      expect(env.PATH).toBe(process.env.PATH);
      expect(JSON.stringify(env)).not.toContain(secret);
      // The start-up probe runs find with the same environment.
      rmSync(out);
      probeFind(dumper);
      expect(Object.keys(JSON.parse(readFileSync(out, 'utf8')) as object).sort()).toEqual(['LC_ALL', 'PATH']);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

describe("find's arguments and messages", () => {
  it('prunes only by plain ASCII names and `*`, printing what it prunes', () => {
    const args = findArgs('/data', ['node_modules', '*.cache', '{a,b}', 'build/**', '[ab]c', '!keep']);
    expect(args.slice(0, 4)).toEqual(['-H', '/data', '-mindepth', '1']);
    expect(args.slice(4, 14)).toEqual(['(', '-type', 'd', '(', '-name', 'node_modules', '-o', '-name', '*.cache', ')']);
    expect(args.slice(14, 19)).toEqual(['-printf', 'P %P\\0', '-prune', ')', '-o']);
    expect(args.slice(19, 21)).toEqual(['-type', 'f']);
    expect(findArgs('/data', ['ca?he', 'café'])).not.toContain('-prune'); // `?` is a byte to find in the C locale
    expect(findArgs('/data', ['{a,b}'])).not.toContain('-prune');
  });

  it.each([
    [
      "find: '/data/locked': Permission denied",
      { kind: 'path', error: { relPath: 'locked', code: 'EACCES', message: 'Permission denied: /data/locked' } },
    ],
    [
      "find: '/data': No such file or directory",
      { kind: 'path', error: { relPath: '', code: 'ENOENT', message: 'No such file or directory: /data' } },
    ],
    ["find: '/data/a/b.txt': No such file or directory", { kind: 'vanished', relPath: 'a/b.txt' }],
    ["find: '/data/x': Some new message", { kind: 'path', error: { relPath: 'x', code: 'UNKNOWN', message: 'Some new message: /data/x' } }],
    ["find: '/data/it\\'s': Permission denied", { kind: 'unknown' }], // quoting we do not unescape
    ["find: '/elsewhere/x': Permission denied", { kind: 'unknown' }],
    ['find: File system loop detected', { kind: 'unknown' }],
  ])('reads %j', (line, expected) => {
    expect(parseFindErrorLine(line, '/data')).toMatchObject(expected);
  });
});
