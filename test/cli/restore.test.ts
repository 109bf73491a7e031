import { createHmac, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StateStore } from '../../src/store/index.js';
import { createTree, tempDir } from '../helpers/fixtures.js';
import { createSyncFixture, type SyncFixture } from '../helpers/sync-fixture.js';
import { waitFor } from '../helpers/wait.js';

let fx: SyncFixture | undefined;
const dirs: Array<{ remove(): void }> = [];
afterEach(async () => {
  await fx?.cleanup();
  fx = undefined;
  for (const d of dirs.splice(0)) d.remove();
});

/** The fixture uploads in 100 KiB parts from 256 KiB: BIG is a multipart object, restored in ranges. */
const BIG = randomBytes(700 * 1024 + 123);
const TREE: Record<string, string | Buffer> = {
  'plain.txt': 'plain text\n',
  empty: '',
  'dir with spaces/ünïcødé ✓ #1?.txt': 'odd name',
  'back\\slash.txt': 'a backslash is part of the name here',
  'sub/deep/big.bin': BIG,
};

async function uploaded(f: SyncFixture, tree: Record<string, string | Buffer>): Promise<void> {
  createTree(f.folder('main'), tree);
  // Distinct old mtimes, so that a restored file's mtime can only come from x-oss-meta-mtime.
  let t = 1_600_000_000;
  for (const rel of Object.keys(tree)) utimesSync(join(f.folder('main'), rel), t, t++ + 0.123456);
  const once = f.spawnCli(['once', '--config', f.configPath]);
  const { code } = await once.exited;
  expect(code, once.stderr.join('\n')).toBe(0);
}

function restoreDir(): string {
  const d = tempDir('oss-sync-restore-to-');
  dirs.push(d);
  return d.path;
}

async function restore(f: SyncFixture, args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const p = f.spawnCli(['restore', '--config', f.configPath, '--folder', 'main', ...args]);
  const { code } = await p.exited;
  return { code, out: p.stdout.join('\n'), err: p.stderr.join('\n') };
}

/** A PutObject signed by hand (V1), with the key exactly as given in the path. */
async function rawPut(f: SyncFixture, key: string, body: string): Promise<void> {
  const date = new Date().toUTCString();
  const signature = createHmac('sha1', f.emu.accessKeySecret).update(`PUT\n\n\n${date}\n/${f.emu.bucket}/${key}`).digest('base64');
  const { port } = new URL(f.emu.endpoint);
  const status = await new Promise<number>((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'PUT',
        path: `/${key.split('/').map(encodeURIComponent).join('/')}`,
        headers: {
          host: `${f.emu.bucket}.oss-cn-hangzhou.aliyuncs.com`,
          date,
          authorization: `OSS ${f.emu.accessKeyId}:${signature}`,
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.once('error', reject);
    req.end(body);
  });
  expect(status, key).toBe(200);
}

/**
 * A fixture restoring 3 parts at once, a 31-part big.bin on OSS and a slow link (64 KiB/s per GET,
 * ~1.5 s per part of 100 KiB): a kill or a cut lands while every stream is mid-way.
 */
async function slowBigObject(): Promise<{ f: SyncFixture; big: Buffer; to: string }> {
  const f = (fx = await createSyncFixture(undefined, { concurrency: { parts_per_file: 3 } }));
  const big = randomBytes(3 * 1024 * 1024 + 7);
  await uploaded(f, { 'big.bin': big });
  f.emu.emulator.faults.add({
    match: { operation: 'GetObject' },
    times: Infinity,
    action: { type: 'throttle', bytesPerSecond: 64 * 1024 },
  });
  return { f, big, to: restoreDir() };
}

/** Parts of `target` the restore has recorded (read from the state database, as a later run would). */
function recordedParts(f: SyncFixture, target: string): number {
  const store = StateStore.open(f.stateDb);
  try {
    return store.restores.find(target)?.parts.length ?? 0;
  } finally {
    store.close();
  }
}

function leftovers(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).filter((n) => n.includes('oss-sync-restore'));
}

describe('oss-sync restore', () => {
  it('restores a mixed tree (odd names, a 0-byte file, a multipart object) with its bytes and mtimes', async () => {
    fx = await createSyncFixture();
    await uploaded(fx, TREE);
    const to = restoreDir();
    const first = await restore(fx, ['--to', to]);
    expect(first.code, first.err + first.out).toBe(0);
    for (const rel of Object.keys(TREE)) {
      const restored = join(to, rel);
      expect(readFileSync(restored).equals(Buffer.from(TREE[rel]!)), rel).toBe(true); // toEqual on MiBs is slow
      expect(Math.abs(lstatSync(restored).mtimeMs - lstatSync(join(fx.folder('main'), rel)).mtimeMs), rel).toBeLessThan(1);
    }
    // The multipart object came down in ranged GETs (at most parts_per_file, 8 by default).
    const ranged = fx.emu.emulator.requestLog.entries().filter((e) => e.operation === 'GetObject' && e.key === 'main/sub/deep/big.bin');
    expect(ranged.length).toBeGreaterThan(0);
    expect(ranged.length).toBeLessThanOrEqual(8);
    expect(ranged.every((e) => e.status === 206)).toBe(true);
    expect(leftovers(to)).toEqual([]);

    // A second run finds everything in place; a differing local file is never overwritten without --overwrite.
    writeFileSync(join(to, 'plain.txt'), 'edited locally');
    const second = await restore(fx, ['--to', to]);
    expect(second.code).toBe(1);
    expect(second.out).toMatch(/CONFLICT +main\/plain\.txt .*--overwrite/);
    expect(second.out).toMatch(/restored 0 file\(s\).* 4 already there; 1 conflict/);
    expect(readFileSync(join(to, 'plain.txt'), 'utf8')).toBe('edited locally');
    const third = await restore(fx, ['--to', to, '--overwrite', 'plain.txt']);
    expect(third.code, third.out).toBe(0);
    expect(third.out).toMatch(/restored 1 file/);
    expect(readFileSync(join(to, 'plain.txt'), 'utf8')).toBe('plain text\n');
  });

  it('restores the mode recorded at upload (x-oss-meta-mode), never the setuid, setgid and sticky bits', async () => {
    fx = await createSyncFixture();
    const tree = { 'private.txt': 'secret', 'tool.sh': '#!/bin/sh\n', 'suid.sh': '#!/bin/sh\n', 'big.bin': BIG };
    const modes: Record<string, number> = { 'private.txt': 0o600, 'tool.sh': 0o755, 'suid.sh': 0o4755, 'big.bin': 0o640 };
    createTree(fx.folder('main'), tree);
    for (const [rel, mode] of Object.entries(modes)) chmodSync(join(fx.folder('main'), rel), mode);
    await uploaded(fx, {});
    expect((await fx.emu.client().head('main/suid.sh')).res.headers).toMatchObject({ 'x-oss-meta-mode': '4755' });
    const to = restoreDir();
    const result = await restore(fx, ['--to', to]);
    expect(result.code, result.err + result.out).toBe(0);
    const restoredMode = (rel: string) => lstatSync(join(to, rel)).mode & 0o7777;
    expect(restoredMode('private.txt')).toBe(0o600);
    expect(restoredMode('tool.sh')).toBe(0o755);
    expect(restoredMode('suid.sh')).toBe(0o755);
    expect(restoredMode('big.bin')).toBe(0o640); // ranged GETs
  });

  it('restores only the selected paths and globs, and --dry-run writes nothing', async () => {
    fx = await createSyncFixture();
    await uploaded(fx, TREE);
    const to = restoreDir();
    const dry = await restore(fx, ['--to', to, '--dry-run', '--json', 'sub', '*.txt']);
    expect(dry.code, dry.err).toBe(0);
    const plan = JSON.parse(dry.out) as { entries: Array<{ key: string; action: string }> };
    expect(plan.entries.map((e) => [e.key, e.action])).toEqual([
      ['main/back\\slash.txt', 'would restore'],
      ['main/plain.txt', 'would restore'],
      ['main/sub/deep/big.bin', 'would restore'],
    ]);
    expect(readdirSync(to)).toEqual([]);
  });

  it('refuses and names keys that would land outside --to', async () => {
    fx = await createSyncFixture();
    await uploaded(fx, { 'ok.txt': 'fine' });
    // ali-oss resolves '..' in a URL before it signs: such keys are made with a hand-signed request,
    // as another SDK or a hostile writer could.
    await rawPut(fx, 'main/../escape.txt', 'outside');
    await rawPut(fx, 'main/a//b.txt', 'empty segment');
    const to = join(restoreDir(), 'inner');
    const result = await restore(fx, ['--to', to]);
    expect(result.code).toBe(1);
    expect(result.out).toMatch(/REFUSED +main\/\.\.\/escape\.txt: .*outside/);
    expect(result.out).toMatch(/REFUSED +main\/a\/\/b\.txt/);
    expect(readFileSync(join(to, 'ok.txt'), 'utf8')).toBe('fine');
    expect(existsSync(join(to, '..', 'escape.txt'))).toBe(false);
  });

  it("restores names that merely begin with '..' ('..config', a directory '...'): they are inside --to", async () => {
    fx = await createSyncFixture();
    const tree = { '..config': 'dot dot', '.../deep.txt': 'three dots', '..d/x.txt': 'in ..d' };
    await uploaded(fx, tree);
    const to = restoreDir();
    const result = await restore(fx, ['--to', to]);
    expect(result.code, result.out).toBe(0);
    for (const [rel, body] of Object.entries(tree)) expect(readFileSync(join(to, rel), 'utf8'), rel).toBe(body);
  });

  it('writes nothing through a directory in --to that is a symlink leading out of it', async () => {
    fx = await createSyncFixture();
    await uploaded(fx, { 'out/x.txt': 'x', 'in/y.txt': 'y' });
    const to = restoreDir();
    const outside = restoreDir();
    mkdirSync(join(to, 'real'));
    symlinkSync(outside, join(to, 'out'));
    symlinkSync(join(to, 'real'), join(to, 'in')); // stays inside: allowed
    const result = await restore(fx, ['--to', to]);
    expect(result.code).toBe(1);
    expect(result.out).toMatch(/FAILED +main\/out\/x\.txt -> .*outside the restore directory/);
    expect(readdirSync(outside)).toEqual([]);
    expect(readFileSync(join(to, 'real', 'y.txt'), 'utf8')).toBe('y');
  });

  it('reads no file through such a symlink either: one of the same size there is refused, not compared as a conflict', async () => {
    fx = await createSyncFixture();
    await uploaded(fx, { 'out/x.txt': 'x' });
    const to = restoreDir();
    const outside = restoreDir();
    writeFileSync(join(outside, 'x.txt'), 'z'); // the same size: the old code read it for its CRC-64
    symlinkSync(outside, join(to, 'out'));
    const result = await restore(fx, ['--to', to]);
    expect(result.code).toBe(1);
    expect(result.out).toMatch(/FAILED +main\/out\/x\.txt -> .*outside the restore directory/);
    expect(readFileSync(join(outside, 'x.txt'), 'utf8')).toBe('z');
  });

  it("refuses a key named as another file's temporary file, which would swap the bytes renamed into place", async () => {
    fx = await createSyncFixture();
    await uploaded(fx, { 'big.bin': BIG });
    // Never uploaded from a watched folder (the name is ignored there); another client could write it.
    await rawPut(fx, 'main/.big.bin.oss-sync-restore.part', 'not big.bin');
    const to = restoreDir();
    const result = await restore(fx, ['--to', to]);
    expect(result.code).toBe(1);
    expect(result.out).toMatch(/REFUSED +main\/\.big\.bin\.oss-sync-restore\.part: .*temporary/);
    expect(readFileSync(join(to, 'big.bin')).equals(BIG)).toBe(true);
    expect(leftovers(to)).toEqual([]);
  });

  it('never renames a damaged GET body into place, and retries it', async () => {
    fx = await createSyncFixture();
    await uploaded(fx, TREE);
    const to = restoreDir();
    // Every answer damaged: the files never appear, and no temporary file is left.
    fx.emu.emulator.faults.add({
      match: { operation: 'GetObject', key: 'main/sub/deep/big.bin' },
      times: Infinity,
      action: { type: 'corruptResponse', atByte: 5 },
    });
    fx.emu.emulator.faults.add({
      match: { operation: 'GetObject', key: 'main/plain.txt' },
      times: Infinity,
      action: { type: 'corruptResponse', atByte: 3 },
    });
    const damaged = await restore(fx, ['--to', to]);
    expect(damaged.code).toBe(1);
    expect(damaged.out).toMatch(/FAILED +main\/plain\.txt .*CRC-64 of the bytes received is \d+, the object's is \d+: damaged on the way/);
    expect(damaged.out).toMatch(/FAILED +main\/sub\/deep\/big\.bin .*damaged on the way/);
    expect(existsSync(join(to, 'plain.txt'))).toBe(false);
    expect(existsSync(join(to, 'sub/deep/big.bin'))).toBe(false);
    expect(leftovers(to)).toEqual([]);
    expect(readFileSync(join(to, 'empty'), 'utf8')).toBe('');

    // One damaged answer each: retried, and the files arrive whole.
    fx.emu.emulator.faults.clear();
    fx.emu.emulator.faults.add({
      match: { operation: 'GetObject', key: 'main/sub/deep/big.bin' },
      nth: 3,
      action: { type: 'corruptResponse', atByte: 70_000 },
    });
    fx.emu.emulator.faults.add({
      match: { operation: 'GetObject', key: 'main/plain.txt' },
      action: { type: 'corruptResponse', atByte: 0 },
    });
    const retried = await restore(fx, ['--to', to]);
    expect(retried.code, retried.out).toBe(0);
    expect(readFileSync(join(to, 'plain.txt'), 'utf8')).toBe('plain text\n');
    expect(readFileSync(join(to, 'sub/deep/big.bin')).equals(BIG)).toBe(true);
  });

  it('resumes after kill -9 from the ranges already written and checked, in at most parts_per_file GETs each run', async () => {
    const { f, big, to } = await slowBigObject();
    const first = f.spawnCli(['restore', '--config', f.configPath, '--folder', 'main', '--to', to]);
    const recorded = () => recordedParts(f, join(to, 'big.bin'));
    await waitFor(() => recorded() >= 4, { timeoutMs: 30_000, what: 'four parts recorded' });
    first.child.kill('SIGKILL');
    await first.exited;
    expect(existsSync(join(to, 'big.bin'))).toBe(false);
    expect(leftovers(to)).toEqual(['.big.bin.oss-sync-restore.part']);
    const done = recorded();
    const gets = () => f.emu.emulator.requestLog.entries().filter((e) => e.operation === 'GetObject');
    // One ranged GET per stream, each over many parts (the log has a request once it is answered or cut).
    await waitFor(() => gets().length >= 3, { timeoutMs: 10_000, what: 'the cut GETs logged' });
    expect(gets().length).toBe(3);

    f.emu.emulator.faults.clear();
    f.emu.emulator.requestLog.clear();
    const second = await restore(f, ['--to', to, '--json']);
    expect(second.code, second.err).toBe(0);
    const summary = JSON.parse(second.out) as { resumedBytes: number };
    expect(summary.resumedBytes).toBeGreaterThanOrEqual(done * 100 * 1024 - 100 * 1024);
    expect(readFileSync(join(to, 'big.bin')).equals(big)).toBe(true);
    // The rest (a gap behind each stream's recorded parts) in at most 3 GETs.
    expect(gets().length).toBeLessThanOrEqual(Math.min(3, 31 - done));
    expect(leftovers(to)).toEqual([]);
    expect(recorded()).toBe(0);
  });

  it('asks again for the rest of a stream cut mid-body in one GET, not a GET per part left', async () => {
    const { f, big, to } = await slowBigObject();
    const running = restore(f, ['--to', to, '--json']);
    const recorded = () => recordedParts(f, join(to, 'big.bin'));
    await waitFor(() => recorded() >= 4, { timeoutMs: 30_000, what: 'four parts recorded' });
    await f.emu.restart(); // every stream cut mid-body; the new emulator has no faults and a fresh log
    const result = await running;
    expect(result.code, result.err + result.out).toBe(0);
    expect(readFileSync(join(to, 'big.bin')).equals(big)).toBe(true);
    // One GET per broken stream, not one per part left.
    const gets = f.emu.emulator.requestLog.entries().filter((e) => e.operation === 'GetObject');
    expect(gets.length).toBeLessThanOrEqual(3);
  });

  it('stops its other streams when one fails for good, instead of downloading the rest of their runs first', async () => {
    const { f, to } = await slowBigObject();
    f.emu.emulator.faults.add({
      match: { operation: 'GetObject' },
      times: 1,
      action: { type: 'error', status: 403, code: 'AccessDenied' },
    });
    const result = await restore(f, ['--to', to]);
    expect(result.code).toBe(1);
    expect(result.err + result.out).toContain('HTTP 403');
    // The two other streams (about 10 parts each on this slow link) were cut, not run to their end.
    expect(recordedParts(f, join(to, 'big.bin'))).toBeLessThan(4);
  });

  // The restore runs concurrency.small_files (128) small objects at once; the CLI's client kept its
  // default 100 sockets, so 28 GETs (and every ranged stream's beside them) waited for one, their wait
  // counted against oss.timeout's connect timer, and a slow link timed them out before they were sent.
  it('has a socket for each small object it fetches at once (concurrency.small_files, 128 by default)', async () => {
    fx = await createSyncFixture();
    const client = fx.emu.client();
    for (let i = 0; i < 140; i++) await client.put(`main/s-${i}.txt`, Buffer.from(`small ${i}\n`));
    fx.emu.emulator.faults.add({ match: { operation: 'GetObject' }, times: Infinity, action: { type: 'latency', ms: 1000 } });
    const to = restoreDir();
    const run = await restore(fx, ['--to', to]);
    expect(run.code, run.err + run.out).toBe(0);
    expect(readdirSync(to)).toHaveLength(140);
    const gets = fx.emu.emulator.requestLog.entries().filter((e) => e.operation === 'GetObject');
    const mostAtOnce = Math.max(...gets.map((a) => gets.filter((b) => b.time <= a.time && a.time < b.time + b.durationMs).length));
    expect(mostAtOnce).toBeGreaterThan(100); // 128 asked for; at most 100 before
  });

  it('restores without a configuration (--bucket, --prefix, --endpoint, keys from the environment)', async () => {
    fx = await createSyncFixture();
    await uploaded(fx, TREE);
    const to = restoreDir();
    const state = join(restoreDir(), 'restore.db');
    const env = { OSS_ACCESS_KEY_ID: fx.emu.accessKeyId, OSS_ACCESS_KEY_SECRET: fx.emu.accessKeySecret };
    const bare = fx.spawnCli(
      ['restore', '--bucket', fx.emu.bucket, '--prefix', 'main', '--endpoint', fx.emu.endpoint, '--state', state, '--to', to],
      env,
    );
    const { code } = await bare.exited;
    expect(code, bare.stderr.join('\n') + bare.stdout.join('\n')).toBe(0);
    for (const rel of Object.keys(TREE)) expect(readFileSync(join(to, rel)).equals(Buffer.from(TREE[rel]!)), rel).toBe(true);

    const noEndpoint = fx.spawnCli(['restore', '--bucket', fx.emu.bucket, '--to', to], env);
    expect((await noEndpoint.exited).code).toBe(2);
    expect(noEndpoint.stderr.join('\n')).toMatch(/--endpoint URL is required with --bucket/);
    const noKeys = fx.spawnCli(['restore', '--bucket', fx.emu.bucket, '--endpoint', fx.emu.endpoint, '--to', to], {
      OSS_ACCESS_KEY_ID: '',
      OSS_ACCESS_KEY_SECRET: '',
    });
    expect((await noKeys.exited).code).toBe(2);
    expect(noKeys.stderr.join('\n')).toMatch(/OSS_ACCESS_KEY_ID and \$OSS_ACCESS_KEY_SECRET/);
  });

  it('says that an Archive object must be restored on OSS first', async () => {
    fx = await createSyncFixture();
    await uploaded(fx, { 'ok.txt': 'fine' });
    await fx.emu.client().put('main/cold.bin', Buffer.from('frozen'), { headers: { 'x-oss-storage-class': 'Archive' } });
    const to = restoreDir();
    const result = await restore(fx, ['--to', to]);
    expect(result.code).toBe(1);
    expect(result.out).toMatch(/FAILED +main\/cold\.bin .*archive storage class and must be restored on OSS first/);
    expect(existsSync(join(to, 'cold.bin'))).toBe(false);
    expect(readFileSync(join(to, 'ok.txt'), 'utf8')).toBe('fine');
  });

  it('an Archive object refused for another reason (AccessDenied) is named so, not sent to be restored on OSS', async () => {
    fx = await createSyncFixture();
    await fx.emu.client().put('main/cold.bin', Buffer.from('frozen'), { headers: { 'x-oss-storage-class': 'Archive' } });
    fx.emu.emulator.faults.add({
      match: { operation: 'GetObject', key: 'main/cold.bin' },
      times: Infinity,
      action: { type: 'error', status: 403, code: 'AccessDenied' },
    });
    const result = await restore(fx, ['--to', restoreDir()]);
    expect(result.code).toBe(1);
    expect(result.out).toMatch(/FAILED +main\/cold\.bin .*AccessDenied/);
    expect(result.out).not.toMatch(/must be restored on OSS first/);
  });

  it('--request-restore asks OSS to restore archived objects; with --wait it polls HEAD until they are readable and downloads them', async () => {
    fx = await createSyncFixture();
    await uploaded(fx, { 'ok.txt': 'fine' });
    await fx.emu.client().put('main/cold.bin', Buffer.from('frozen'), { headers: { 'x-oss-storage-class': 'Archive' } });
    await fx.emu.client().put('main/colder.bin', Buffer.from('frozen harder'), { headers: { 'x-oss-storage-class': 'ColdArchive' } });
    const to = restoreDir();
    const requests = (operation: string, key: string) =>
      fx!.emu.emulator.requestLog.entries().filter((e) => e.operation === operation && e.key === key);

    const asked = await restore(fx, ['--to', to, '--request-restore', 'colder.bin']);
    expect(asked.code, asked.err).toBe(1);
    expect(asked.out).toMatch(/REQUESTED +main\/colder\.bin .*restore on OSS requested .*--wait/);
    expect(asked.out).toMatch(/1 waiting for their restore on OSS/);
    expect(requests('RestoreObject', 'main/colder.bin')).toHaveLength(1);
    expect(existsSync(join(to, 'colder.bin'))).toBe(false);

    const waited = await restore(fx, ['--to', to, '--request-restore', '--wait', '--poll-interval', '100ms']);
    expect(waited.code, waited.err + waited.out).toBe(0);
    expect(readFileSync(join(to, 'cold.bin'), 'utf8')).toBe('frozen');
    expect(readFileSync(join(to, 'colder.bin'), 'utf8')).toBe('frozen harder');
    expect(readFileSync(join(to, 'ok.txt'), 'utf8')).toBe('fine');
    // cold.bin was asked for by this run and polled (the emulator takes a second) before its GET.
    expect(requests('RestoreObject', 'main/cold.bin')).toHaveLength(1);
    expect(requests('HeadObject', 'main/cold.bin').length).toBeGreaterThanOrEqual(2);

    const usage = await restore(fx, ['--to', to, '--wait']);
    expect(usage.code).toBe(2);
    expect(usage.err).toMatch(/--wait goes with --request-restore/);
  });
});
