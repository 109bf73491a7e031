import { createHook } from 'node:async_hooks';
import { existsSync, linkSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { placeChecked, POOL_CALLS } from '../../src/daemon/restore/file-download.js';
import { runRestore } from '../../src/daemon/restore/restore-run.js';
import { MemoryBudget } from '../../src/uploader/index.js';
import { startTestEmulator, type TestEmulator } from '../helpers/emulator.js';
import { tempDir } from '../helpers/fixtures.js';
import { restoreOptions } from '../helpers/restore.js';
import { useStore } from '../helpers/store.js';
import { waitFor } from '../helpers/wait.js';

describe('restore of small objects', () => {
  const db = useStore();
  let emu: TestEmulator;
  let to: ReturnType<typeof tempDir>;
  beforeEach(async () => {
    emu = await startTestEmulator();
    to = tempDir('oss-sync-restore-small-');
  });
  afterEach(async () => {
    await emu.stop();
    to.remove();
  });

  const restore = (): Promise<Awaited<ReturnType<typeof runRestore>>> => runRestore(restoreOptions(emu, db.store.restores, to.path));

  /** Resolves once every GET held by a fault rule added with times: 1 has reached the emulator (such a rule then retires). */
  const heldGetsArrived = (rulesLeft = 0) =>
    waitFor(() => emu.emulator.faults.list().length === rulesLeft, { what: 'the held GETs under way', timeoutMs: 10_000 });

  // Nothing reaches the disk before the body's CRC-64 checks out: a damaged body leaves no trace.
  it("creates nothing on disk while a small file's GET is under way, and renames it in once checked", async () => {
    await emu.client().put('p/slow.txt', Buffer.from('slow body\n'), { meta: { mtime: '1700000000000000000', mode: '640' } } as never);
    emu.emulator.faults.add({ match: { operation: 'GetObject', key: 'p/slow.txt' }, action: { type: 'latency', ms: 2000 } });
    const running = restore();
    await heldGetsArrived();
    expect(readdirSync(to.path)).toEqual([]);

    const summary = await running;
    expect(summary.entries.map((e) => e.action)).toEqual(['restored']);
    expect(readFileSync(join(to.path, 'slow.txt'), 'utf8')).toBe('slow body\n');
    const st = statSync(join(to.path, 'slow.txt'));
    expect(st.mtimeMs).toBe(1_700_000_000_000);
    expect(st.mode & 0o777).toBe(0o640);
    expect(readdirSync(to.path)).toEqual(['slow.txt']);
  });

  // Memory holds at most 64 KiB of a small file's body, whatever the listing said: an object replaced
  // by a large one between the listing and its GET is streamed to the file, never read whole.
  it('streams an object that grew past the in-memory limit after the listing, and restores its new bytes', async () => {
    await emu.client().put('p/grows.bin', Buffer.from('small at listing time\n'));
    emu.emulator.faults.add({ match: { operation: 'GetObject', key: 'p/grows.bin' }, times: 1, action: { type: 'latency', ms: 2000 } });
    const running = restore();
    await heldGetsArrived();
    const grown = Buffer.alloc(768 * 1024, 'g');
    await emu.client().put('p/grows.bin', grown);

    const summary = await running;
    expect(summary.entries.map((e) => e.action)).toEqual(['restored']);
    expect(readFileSync(join(to.path, 'grows.bin')).equals(grown)).toBe(true);
    // The held GET answered with 768 KiB was dropped unread, and the object fetched as a stream.
    const gets = emu.emulator.requestLog.entries().filter((e) => e.operation === 'GetObject' && e.key === 'p/grows.bin');
    expect(gets).toHaveLength(2);
  });

  // An object listed small is paid its body; one that grew since is streamed, holding up to 5 MiB of
  // write batches: unpaid, 128 of them at once held 640 MiB whatever concurrency.memory said.
  it('pays for the stream of small objects that grew after the listing: 4 grown to 6 MiB under a 5 MiB budget come down one at a time', async () => {
    const keys = Array.from({ length: 4 }, (_, i) => `p/grow-${i}.bin`);
    for (const key of keys) await emu.client().put(key, Buffer.from(`tiny ${key}\n`));
    for (const key of keys)
      emu.emulator.faults.add({ match: { operation: 'GetObject', key }, times: 1, action: { type: 'latency', ms: 1500 } });
    emu.emulator.faults.add({ match: { operation: 'GetObject' }, times: Infinity, action: { type: 'latency', ms: 300 } });
    const memory = new MemoryBudget(5 * 1024 * 1024);
    const running = runRestore(
      restoreOptions(emu, db.store.restores, to.path, {
        memory,
        smallFilesInParallel: 4,
        download: { partSize: 8 * 1024 * 1024, rangedThreshold: 8 * 1024 * 1024 },
      }),
    );
    await heldGetsArrived(1); // the rule that slows every GET stays
    const grown = keys.map((_, i) => Buffer.alloc(6 * 1024 * 1024, i + 1));
    for (const [i, key] of keys.entries()) await emu.client().put(key, grown[i]);

    const summary = await running;
    expect(summary.entries.map((e) => e.action)).toEqual(Array(4).fill('restored'));
    for (const [i, key] of keys.entries()) expect(readFileSync(join(to.path, key.slice(2))).equals(grown[i]!)).toBe(true);
    const gets = emu.emulator.requestLog.entries().filter((e) => e.operation === 'GetObject');
    const streamed = keys.map((key) => gets.filter((e) => e.key === key)[1]!).map((e) => ({ from: e.time, to: e.time + e.durationMs }));
    const mostAtOnce = Math.max(...streamed.map((a) => streamed.filter((b) => b.from <= a.from && a.from < b.to).length));
    expect(mostAtOnce).toBe(1); // 4 before
    expect(memory.inUse).toBe(0);
  });

  // On a local file system a thread-pool round trip costs more CPU than the call it makes
  // (bench/NOTES.md): once a small body is checked, its create, write, mode, mtime, close and rename
  // are direct calls. (The test directory is on tmpfs or ext4, both local.)
  it('sends no call of a small file through the thread pool on a local file system', async () => {
    const files = 12;
    for (let i = 0; i < files; i++)
      await emu.client().put(`p/f${i}.txt`, Buffer.from(`body ${i}\n`), { meta: { mtime: '1700000000000000000', mode: '600' } } as never);
    let requests = 0;
    const hook = createHook({
      init(_id, type) {
        if (!type.startsWith('FSREQ') && type !== 'FILEHANDLECLOSEREQ') return;
        if (new Error().stack?.includes('file-download')) requests++;
      },
    }).enable();
    try {
      const summary = await restore();
      expect(summary.entries.map((e) => e.action)).toEqual(Array(files).fill('restored'));
    } finally {
      hook.disable();
    }
    for (let i = 0; i < files; i++) {
      const st = statSync(join(to.path, `f${i}.txt`));
      expect(readFileSync(join(to.path, `f${i}.txt`), 'utf8')).toBe(`body ${i}\n`);
      expect(st.mtimeMs).toBe(1_700_000_000_000);
      expect(st.mode & 0o777).toBe(0o600);
    }
    // None per file (before: the create and the rename). For the directory, its mkdir, two realpaths
    // and a statfs, by each of the 4 files in parallel that got there before the first check ended.
    expect(requests).toBeLessThanOrEqual(4 * 4);
  });

  // A network file system (NFS, SMB, FUSE) may wait on its server per call: there the calls go
  // through the pool, where the files in flight overlap their waits. The file must come out the same.
  it('puts a small file in place through the thread pool where the file system is not local: same bytes, mode and mtime', async () => {
    const temp = join(to.path, '.pooled.txt.oss-sync-restore.part');
    let requests = 0;
    const hook = createHook({
      init(_id, type) {
        if (type.startsWith('FSREQ')) requests++;
      },
    }).enable();
    try {
      await placeChecked(
        temp,
        join(to.path, 'pooled.txt'),
        Buffer.from('pooled\n'),
        { mode: '640', mtime: '1700000000000000000' },
        POOL_CALLS,
      );
    } finally {
      hook.disable();
    }
    expect(readdirSync(to.path)).toEqual(['pooled.txt']);
    expect(readFileSync(join(to.path, 'pooled.txt'), 'utf8')).toBe('pooled\n');
    const st = statSync(join(to.path, 'pooled.txt'));
    expect(st.mtimeMs).toBe(1_700_000_000_000);
    expect(st.mode & 0o777).toBe(0o640);
    expect(requests).toBeGreaterThanOrEqual(6); // open, write, chmod, utimes, close, rename
  });

  it('names the temporary file it cannot create, and leaves the target alone', async () => {
    await emu.client().put('p/blocked.txt', Buffer.from('blocked\n'));
    mkdirSync(join(to.path, '.blocked.txt.oss-sync-restore.part'));
    const summary = await restore();
    expect(summary.entries).toHaveLength(1);
    expect(summary.entries[0]).toMatchObject({ action: 'failed' });
    expect(summary.entries[0]!.detail).toContain(`cannot write ${join(to.path, '.blocked.txt.oss-sync-restore.part')}`);
    expect(summary.entries[0]!.detail).not.toContain('/proc/self/fd'); // created through it (Linux), named by its path
    expect(existsSync(join(to.path, 'blocked.txt'))).toBe(false);
  });

  // A local user who can write into --to plants a link at the temporary name: a restore (often run
  // as root) must not write the object's bytes through it into a file outside --to. Only the name
  // in --to is replaced: a hard link's other name is a file anywhere on that file system.
  it.each([
    ['a small object', 10, symlinkSync],
    ['an object fetched whole', 200 * 1024, symlinkSync],
    ['an object fetched in ranges', (3 << 20) + 5, symlinkSync],
    ['a small object', 10, linkSync],
    ['an object fetched whole', 200 * 1024, linkSync],
    ['an object fetched in ranges', (3 << 20) + 5, linkSync],
  ])('writes %s through no link planted at its temporary name (%#)', async (_what, size, plant) => {
    const outside = tempDir('oss-sync-restore-outside-');
    try {
      const victim = join(outside.path, 'precious');
      writeFileSync(victim, 'precious\n');
      const body = Buffer.alloc(size, 0x61);
      await emu.client().put('p/victim.bin', body);
      plant(victim, join(to.path, '.victim.bin.oss-sync-restore.part'));
      const summary = await restore();
      expect(readFileSync(victim, 'utf8')).toBe('precious\n');
      expect(summary.entries.map((e) => e.action)).toEqual(['restored']);
      expect(readFileSync(join(to.path, 'victim.bin')).equals(body)).toBe(true);
      expect(readdirSync(to.path)).toEqual(['victim.bin']);
    } finally {
      outside.remove();
    }
  });

  // The same for a temporary file kept to resume: replaced between runs by a hard link to a file of
  // its size elsewhere, its parts failed their CRC-64 and were written again, into that file.
  it('writes no resumed download into a hard link planted at its kept temporary file', async () => {
    const outside = tempDir('oss-sync-restore-outside-');
    try {
      const size = (3 << 20) + 5;
      const body = Buffer.alloc(size, 0x61);
      await emu.client().put('p/victim.bin', body);
      const target = join(to.path, 'victim.bin');
      const temp = join(to.path, '.victim.bin.oss-sync-restore.part');
      const stop = new AbortController();
      emu.emulator.faults.add({ match: { operation: 'GetObject' }, times: 1, action: { type: 'throttle', bytesPerSecond: 1 << 20 } });
      const first = runRestore(restoreOptions(emu, db.store.restores, to.path, { download: { partsInParallel: 1, signal: stop.signal } }));
      await waitFor(() => (db.store.restores.find(target)?.parts.length ?? 0) >= 1, { what: 'a part recorded', timeoutMs: 10_000 });
      stop.abort();
      await first;
      expect(existsSync(temp)).toBe(true);

      const victim = join(outside.path, 'precious');
      writeFileSync(victim, Buffer.alloc(size, 0x7a));
      unlinkSync(temp);
      linkSync(victim, temp);
      const summary = await restore();
      expect(readFileSync(victim).equals(Buffer.alloc(size, 0x7a))).toBe(true);
      expect(summary.entries.map((e) => e.action)).toEqual(['restored']);
      expect(readFileSync(target).equals(body)).toBe(true);
    } finally {
      outside.remove();
    }
  });

  // Uploads keep concurrency.small_files in flight; a restore that fetched small files only
  // concurrency.files at a time was ~30x slower than the backup over a link of 30 ms a request.
  it('fetches small objects smallFilesInParallel at once, and large ones (ranged) at most filesInParallel at once', async () => {
    const client = emu.client();
    for (let i = 0; i < 24; i++) await client.put(`p/small-${i}.txt`, Buffer.from(`small ${i}\n`));
    for (let i = 0; i < 3; i++) await client.put(`p/large-${i}.bin`, Buffer.alloc(300 * 1024, i));
    emu.emulator.faults.add({ match: { operation: 'GetObject' }, times: Infinity, action: { type: 'latency', ms: 300 } });
    const summary = await runRestore(
      restoreOptions(emu, db.store.restores, to.path, {
        filesInParallel: 1,
        smallFilesInParallel: 12,
        download: { partSize: 64 * 1024, rangedThreshold: 256 * 1024 },
      }),
    );
    expect(summary.entries.filter((e) => e.action === 'restored')).toHaveLength(27);
    const gets = emu.emulator.requestLog.entries().filter((e) => e.operation === 'GetObject');
    const during = (e: (typeof gets)[number]) => ({ key: e.key, from: e.time, to: e.time + e.durationMs });
    const small = gets.filter((e) => e.key?.includes('small-')).map(during);
    const mostAtOnce = Math.max(...small.map((a) => small.filter((b) => b.from <= a.from && a.from < b.to).length));
    expect(mostAtOnce).toBeGreaterThanOrEqual(8); // 12 asked for; 1 (filesInParallel) before
    const large = gets.filter((e) => e.key?.includes('large-')).map(during);
    for (const a of large) expect(large.filter((b) => b.key !== a.key && b.from < a.to && a.from < b.to)).toEqual([]);
  });

  // concurrency.memory bounds a restore as it bounds uploads: 128 files of a few MiB at once, each
  // holding its write batches while a slow disk catches up, would hold hundreds of MiB.
  it('pays each download from the memory budget: objects of 1 MiB under a 3 MiB budget come down at most 3 at once', async () => {
    const client = emu.client();
    const bodies = Array.from({ length: 8 }, (_, i) => Buffer.alloc(1024 * 1024, i + 1));
    for (const [i, body] of bodies.entries()) await client.put(`p/mid-${i}.bin`, body);
    emu.emulator.faults.add({ match: { operation: 'GetObject' }, times: Infinity, action: { type: 'latency', ms: 300 } });
    const memory = new MemoryBudget(3 * 1024 * 1024);
    const summary = await runRestore(
      restoreOptions(emu, db.store.restores, to.path, {
        smallFilesInParallel: 8,
        memory,
        download: { partSize: 8 * 1024 * 1024, rangedThreshold: 8 * 1024 * 1024 },
      }),
    );
    expect(summary.entries.map((e) => e.action)).toEqual(Array(8).fill('restored'));
    for (const [i, body] of bodies.entries()) expect(readFileSync(join(to.path, `mid-${i}.bin`)).equals(body)).toBe(true);
    const gets = emu.emulator.requestLog.entries().filter((e) => e.operation === 'GetObject');
    const spans = gets.map((e) => ({ from: e.time, to: e.time + e.durationMs }));
    const mostAtOnce = Math.max(...spans.map((a) => spans.filter((b) => b.from <= a.from && a.from < b.to).length));
    expect(mostAtOnce).toBeLessThanOrEqual(3); // 8 before
    expect(memory.highWater).toBeLessThanOrEqual(3 * 1024 * 1024);
    expect(memory.inUse).toBe(0);
  });

  // A budget smaller than a large download's streams (5 MiB of write batches each) must not let that
  // download hold them all: with concurrency.memory: 10MiB and parts_per_file 8, one object held 40 MiB.
  it('runs no more ranged streams of a large object than the memory budget holds (2 of 8 under 10 MiB)', async () => {
    const body = Buffer.alloc(8 * 1024 * 1024, 7);
    await emu.client().put('p/large.bin', body);
    emu.emulator.faults.add({ match: { operation: 'GetObject' }, times: Infinity, action: { type: 'latency', ms: 300 } });
    const memory = new MemoryBudget(10 * 1024 * 1024);
    const summary = await runRestore(
      restoreOptions(emu, db.store.restores, to.path, {
        memory,
        download: { partSize: 256 * 1024, rangedThreshold: 1024 * 1024, partsInParallel: 8 },
      }),
    );
    expect(summary.entries.map((e) => e.action)).toEqual(['restored']);
    expect(readFileSync(join(to.path, 'large.bin')).equals(body)).toBe(true);
    const gets = emu.emulator.requestLog.entries().filter((e) => e.operation === 'GetObject');
    const spans = gets.map((e) => ({ from: e.time, to: e.time + e.durationMs }));
    const mostAtOnce = Math.max(...spans.map((a) => spans.filter((b) => b.from <= a.from && a.from < b.to).length));
    expect(mostAtOnce).toBeLessThanOrEqual(2); // 8 before
    expect(memory.inUse).toBe(0);
  });

  // A stream holds no more than the bytes it fetches: a ranged object of 3 MiB costs 3 MiB, not 4
  // streams of 5 MiB. Paid for 20 MiB, one such object took the budget and the others waited.
  it('pays a ranged object no more than its size: 3 objects of 3 MiB under a 20 MiB budget come down at once', async () => {
    const bodies = Array.from({ length: 3 }, (_, i) => Buffer.alloc(3 * 1024 * 1024, i + 1));
    for (const [i, body] of bodies.entries()) await emu.client().put(`p/ranged-${i}.bin`, body);
    emu.emulator.faults.add({ match: { operation: 'GetObject' }, times: Infinity, action: { type: 'latency', ms: 300 } });
    const memory = new MemoryBudget(20 * 1024 * 1024);
    const summary = await runRestore(
      restoreOptions(emu, db.store.restores, to.path, {
        memory,
        download: { partSize: 1024 * 1024, rangedThreshold: 2 * 1024 * 1024, partsInParallel: 4 },
      }),
    );
    expect(summary.entries.map((e) => e.action)).toEqual(Array(3).fill('restored'));
    for (const [i, body] of bodies.entries()) expect(readFileSync(join(to.path, `ranged-${i}.bin`)).equals(body)).toBe(true);
    const gets = emu.emulator.requestLog.entries().filter((e) => e.operation === 'GetObject');
    const spans = gets.map((e) => ({ key: e.key, from: e.time, to: e.time + e.durationMs }));
    const overlapping = spans.filter((a) => spans.some((b) => b.key !== a.key && b.from < a.to && a.from < b.to));
    expect(overlapping.length).toBeGreaterThan(0); // one object at a time before
    expect(memory.highWater).toBeLessThanOrEqual(20 * 1024 * 1024);
    expect(memory.inUse).toBe(0);
  });
});
