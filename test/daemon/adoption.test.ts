import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { Daemon } from '../../src/daemon/daemon.js';
import { forEachLimit } from '../../src/lib/for-each-limit.js';
import { Logger } from '../../src/lib/logger.js';
import { startHeaderProxy } from '../helpers/header-proxy.js';
import { createSyncFixture, type SyncFixture } from '../helpers/sync-fixture.js';
import { waitFor } from '../helpers/wait.js';

async function allVerified(fx: SyncFixture, folder: string, count: number): Promise<void> {
  await waitFor(
    () => {
      const store = fx.openStore();
      try {
        const counts = store.report.folderCounts().find((c) => c.folder === folder);
        return counts?.verified === count;
      } finally {
        store.close();
      }
    },
    { what: `${count} files of ${folder} verified` },
  );
}

/** A fixture whose folder `main` holds `count` files OSS already holds (put by another client), the request log cleared. */
/**
 * `oss-sync run`, stopped by SIGTERM once the emulator holds the requests `held` names: it exits 0
 * at once, having uploaded nothing, and the next start adopts all `count` files (still no upload).
 */
async function stopWhileHeldThenAdopt(fx: SyncFixture, held: string, count: number): Promise<void> {
  const { faults, requestLog } = fx.emu.emulator;
  const run = fx.spawnCli(['run', '--config', fx.configPath]);
  await waitFor(() => faults.list().length === 0, { what: held });
  run.child.kill('SIGTERM');
  let exit: { code: number | null } | undefined;
  void run.exited.then((e) => (exit = e));
  await waitFor(() => exit !== undefined, { what: `the daemon to stop while ${held}`, timeoutMs: 30_000 });
  expect(exit!.code).toBe(0);
  expect(requestLog.entries().filter((e) => e.operation === 'PutObject')).toEqual([]);
  // Nothing recorded: the next start lists again and adopts every file.
  await fx.startDaemon('run');
  await allVerified(fx, 'main', count);
  expect(requestLog.entries().filter((e) => e.operation === 'PutObject')).toEqual([]);
}

async function filesAlreadyOnOss(count: number): Promise<SyncFixture> {
  const fx = await createSyncFixture([{ name: 'main' }]);
  const client = fx.emu.client();
  await forEachLimit(
    Array.from({ length: count }, (_, i) => i),
    16,
    async (i) => {
      const body = Buffer.from(`file ${i}`);
      writeFileSync(join(fx.folder('main'), `f${i}.txt`), body);
      await client.put(`main/f${i}.txt`, body);
    },
  );
  fx.emu.emulator.requestLog.clear();
  return fx;
}

/**
 * A fixture whose folder `main` holds the files at `relPaths` (in their directories), each also on
 * OSS (put by another client) and last modified an hour ago, so that no walk holds one back to settle.
 */
async function treeAlreadyOnOss(relPaths: readonly string[]): Promise<SyncFixture> {
  const fx = await createSyncFixture([{ name: 'main' }]);
  const client = fx.emu.client();
  for (const dir of new Set(relPaths.map((p) => dirname(p)))) mkdirSync(join(fx.folder('main'), dir), { recursive: true });
  await forEachLimit(relPaths, 16, async (relPath) => {
    writeFileSync(join(fx.folder('main'), relPath), `file ${relPath}`);
    await client.put(`main/${relPath}`, Buffer.from(`file ${relPath}`));
  });
  const anHourAgo = new Date(Date.now() - 3_600_000);
  for (const relPath of relPaths) utimesSync(join(fx.folder('main'), relPath), anHourAgo, anHourAgo);
  return fx;
}

describe('adoption: files OSS already holds are recorded, not uploaded again', () => {
  let fx: SyncFixture;
  let stopDaemon: (() => Promise<unknown>) | undefined;
  afterEach(async () => {
    await stopDaemon?.();
    stopDaemon = undefined;
    await fx?.cleanup();
  });

  it('after the state database is lost: one listing, a HEAD only for the multipart object, no upload', async () => {
    fx = await createSyncFixture([{ name: 'main' }]);
    const files: Record<string, Buffer> = { 'big.bin': randomBytes(300 * 1024) };
    for (let i = 0; i < 20; i++) files[`f${i}.txt`] = randomBytes(100 + i);
    // Files in directories too: adoption keeps one directory open for its next files.
    for (const relPath of ['d1/a.txt', 'd1/e/b.txt', 'd2/c.txt']) files[relPath] = randomBytes(50);
    for (const [relPath, body] of Object.entries(files)) {
      mkdirSync(join(fx.folder('main'), relPath, '..'), { recursive: true });
      writeFileSync(join(fx.folder('main'), relPath), body);
    }
    const { daemon } = await fx.startDaemon('run');
    await allVerified(fx, 'main', 24);
    await daemon.stop();
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${fx.stateDb}${suffix}`, { force: true });
    // One file whose object holds other bytes of the same size: it must go up again.
    writeFileSync(join(fx.folder('main'), 'f0.txt'), randomBytes(100));
    fx.emu.emulator.requestLog.clear();

    await fx.startDaemon('run');
    await allVerified(fx, 'main', 24);
    const operations = fx.emu.emulator.requestLog.entries().map((e) => `${e.operation} ${e.key ?? ''}`);
    expect(operations.filter((o) => o.startsWith('ListObjectsV2')).length).toBe(1);
    expect(operations.filter((o) => /^(PutObject|UploadPart|InitiateMultipartUpload) /.test(o))).toEqual(['PutObject main/f0.txt']);
    expect(operations.filter((o) => o.startsWith('HeadObject'))).toEqual(['HeadObject main/big.bin']);
  });

  it('a new machine over old data (an empty store, objects already there) uploads nothing', async () => {
    fx = await filesAlreadyOnOss(5);
    await fx.startDaemon('run');
    await allVerified(fx, 'main', 5);
    const operations = fx.emu.emulator.requestLog.entries().map((e) => e.operation);
    expect(operations.filter((o) => o === 'PutObject')).toEqual([]);
  });

  it('files OSS already holds are recorded as adopted by the start-up walk itself, never queued first', async () => {
    fx = await filesAlreadyOnOss(5);
    writeFileSync(join(fx.folder('main'), 'new.txt'), 'not on OSS yet');
    // At rest: a file modified within the settle window is queued held back, and adopted after the walk.
    const anHourAgo = new Date(Date.now() - 3_600_000);
    for (const name of readdirSync(fx.folder('main'))) utimesSync(join(fx.folder('main'), name), anHourAgo, anHourAgo);
    const { logs } = await fx.startDaemon('run');
    await allVerified(fx, 'main', 6);
    const reconciled = logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((r) => r.msg === 'reconciled folder');
    // Only the file OSS lacks went through the queue: the others were inserted already adopted.
    expect(reconciled).toMatchObject({ scanned: 6, queued: 1 });
    const operations = fx.emu.emulator.requestLog.entries().map((e) => `${e.operation} ${e.key ?? ''}`);
    expect(operations.filter((o) => o.startsWith('PutObject'))).toEqual(['PutObject main/new.txt']);
  });

  it('the prefix is listed first thing at start-up, not after the clean-up of stale multipart uploads', async () => {
    fx = await filesAlreadyOnOss(3);
    // The clean-up's listing answers slowly: the adoption's listing must not wait for it.
    fx.emu.emulator.faults.add({ match: { operation: 'ListMultipartUploads' }, times: Infinity, action: { type: 'latency', ms: 1500 } });
    await fx.startDaemon('run');
    await allVerified(fx, 'main', 3);
    const entries = fx.emu.emulator.requestLog.entries();
    const listing = entries.find((e) => e.operation === 'ListObjectsV2')!;
    const cleanup = entries.find((e) => e.operation === 'ListMultipartUploads')!;
    expect(listing.time).toBeLessThan(cleanup.time + cleanup.durationMs);
    expect(entries.filter((e) => e.operation === 'PutObject')).toEqual([]);
  });

  it('a listing made at boot for a folder whose root was missing is not used after a reload moved the folder to another bucket', async () => {
    fx = await createSyncFixture([{ name: 'main' }], {}, { buckets: ['test-bucket', 'second'] });
    await fx.emu.client().put('main/a.txt', Buffer.from('hello'));
    const config = loadConfig(fx.configPath);
    // The disk goes away between the config check and the start: the boot listing is made, not used.
    rmSync(fx.folder('main'), { recursive: true });
    const daemon = await Daemon.start({ config, logger: new Logger({ level: 'error', write: () => {} }), version: 'test', mode: 'run' });
    stopDaemon = () => daemon.stop();
    await waitFor(() => fx.emu.emulator.requestLog.entries().some((e) => e.operation === 'ListObjectsV2'), { what: 'the boot listing' });

    mkdirSync(fx.folder('main'));
    writeFileSync(join(fx.folder('main'), 'a.txt'), 'hello');
    fx.writeConfig([{ name: 'main', more: { bucket: 'second' } }]);
    await daemon.reload(loadConfig(fx.configPath));

    await waitFor(
      () => {
        const store = fx.openStore();
        try {
          const row = store.queue.find('main', 'a.txt');
          return row?.state === 'verified' && row.bucket === 'second';
        } finally {
          store.close();
        }
      },
      { what: 'a.txt recorded as uploaded to the second bucket' },
    );
    // What the record claims must be there: the first bucket's object says nothing about the second.
    const held = await fx.emu
      .client({ bucket: 'second' })
      .get('main/a.txt')
      .then(
        (r) => (r.content as Buffer).toString(),
        (err: { code?: string }) => err.code,
      );
    expect(held).toBe('hello');
  });

  it('a file deleted after adoption read it, before its row was written, is not left recorded as backed up', async () => {
    fx = await createSyncFixture([{ name: 'main', watcher: 'native', more: { delete_policy: 'mirror' } }]);
    writeFileSync(join(fx.folder('main'), 'x.txt'), 'small');
    writeFileSync(join(fx.folder('main'), 'big.bin'), randomBytes(300 * 1024)); // multipart: adoption HEADs it
    const first = await fx.startDaemon('run');
    await allVerified(fx, 'main', 2);
    await first.daemon.stop();
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${fx.stateDb}${suffix}`, { force: true });
    const anHourAgo = new Date(Date.now() - 3_600_000);
    for (const name of readdirSync(fx.folder('main'))) utimesSync(join(fx.folder('main'), name), anHourAgo, anHourAgo);
    // x.txt and big.bin are adopted in one batch: x.txt is read, then the batch waits for big.bin's HEAD.
    const { faults } = fx.emu.emulator;
    faults.add({ match: { operation: 'HeadObject', key: 'main/big.bin' }, times: 1, action: { type: 'latency', ms: 4000 } });
    const starting = fx.startDaemon('run'); // returns once the start-up walk is done
    await waitFor(() => faults.list().length === 0, { what: 'the HEAD of big.bin held' });
    rmSync(join(fx.folder('main'), 'x.txt')); // the watcher sees it go while its row is not written yet
    await starting;
    await waitFor(
      () => {
        const store = fx.openStore();
        try {
          return store.queue.find('main', 'big.bin')?.state === 'verified' && store.queue.find('main', 'x.txt')?.state !== 'verified';
        } finally {
          store.close();
        }
      },
      { what: 'x.txt no longer recorded as backed up' },
    );
  });

  // At rest, the walk itself adopts them; modified "now" as the walk sees them (a minute ahead: a slow
  // start stays within the settle window), they are held back to settle and matched once it is over.
  it.each([
    ['at rest', -3_600_000],
    ['held back to settle', 60_000],
  ])(
    'files are matched page by page as the listing comes in: those (%s) of a page that came are adopted even when a later page fails',
    async (_state, mtimeFromNow) => {
      fx = await filesAlreadyOnOss(1001); // two pages of ListObjectsV2: the second holds only main/f999.txt
      const mtime = new Date(Date.now() + mtimeFromNow);
      for (const name of readdirSync(fx.folder('main'))) utimesSync(join(fx.folder('main'), name), mtime, mtime);
      fx.emu.emulator.faults.add({
        match: { operation: 'ListObjectsV2' },
        nth: 2,
        times: Infinity,
        action: { type: 'error', status: 403, code: 'AccessDenied' },
      });
      await fx.startDaemon('run');
      await allVerified(fx, 'main', 1001);
      const puts = fx.emu.emulator.requestLog.entries().filter((e) => e.operation === 'PutObject');
      expect(puts.map((e) => e.key)).toEqual(['main/f999.txt']);
    },
  );

  it('a listing out of key order (a store or proxy that pages otherwise): files taken as absent too soon are matched after the walk, none uploaded', async () => {
    fx = await filesAlreadyOnOss(1001);
    const anHourAgo = new Date(Date.now() - 3_600_000);
    for (const name of readdirSync(fx.folder('main'))) utimesSync(join(fx.folder('main'), name), anHourAgo, anHourAgo);
    // The first page also names main/zzz (past every key of the second page): the walk's files the
    // second page holds are known absent before it comes.
    const proxy = await startHeaderProxy(fx.emu.endpoint, {
      body: (body, path) =>
        path.includes('list-type=2') && !path.includes('continuation-token')
          ? body.replace(
              /(<Contents>(?:(?!<Contents>).)*?<\/Contents>)(?![\s\S]*<Contents>)/s,
              (last) => last + last.replace(/<Key>[^<]*<\/Key>/, '<Key>main/zzz</Key>'),
            )
          : body,
    });
    stopDaemon = () => proxy.close();
    // The second page comes late: the walk's batch meets the first page alone.
    fx.emu.emulator.faults.add({ match: { operation: 'ListObjectsV2' }, nth: 2, times: 1, action: { type: 'latency', ms: 1500 } });
    fx.writeConfig(undefined, {
      oss: { endpoint: proxy.endpoint, access_key_id: fx.emu.accessKeyId, access_key_secret: fx.emu.accessKeySecret, retry_max_time: '5s' },
    });
    const { logs } = await fx.startDaemon('run');
    await allVerified(fx, 'main', 1001);
    expect(fx.emu.emulator.requestLog.entries().filter((e) => e.operation === 'PutObject')).toEqual([]);
    const listed = logs
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((r) => r.msg === 'listed the folder prefix: files already there are adopted, not uploaded');
    expect(listed).toMatchObject({ objects: 1002 }); // main/zzz came
  });

  it('batches waiting side by side read at most 8 files at once between them, not 8 each (a big tree of large files)', async () => {
    fx = await createSyncFixture([{ name: 'main' }]);
    const client = fx.emu.client();
    // Two walk batches of exactly 1,000 files (one directory each), each with 10 multipart objects
    // (HEADed, held here) among 990 small ones: the listing's first page is a/, its second b/.
    await forEachLimit(['a', 'b'], 2, async (dir) => {
      mkdirSync(join(fx.folder('main'), dir));
      await forEachLimit(
        Array.from({ length: 1000 }, (_, i) => i),
        16,
        async (i) => {
          const relPath = `${dir}/f${i}.bin`;
          const body = i < 10 ? randomBytes(100 * 1024 + 1) : Buffer.from(`file ${relPath}`);
          writeFileSync(join(fx.folder('main'), relPath), body);
          if (i < 10) await client.multipartUpload(`main/${relPath}`, body, { partSize: 100 * 1024 });
          else await client.put(`main/${relPath}`, body);
        },
      );
    });
    const anHourAgo = new Date(Date.now() - 3_600_000);
    for (const dir of ['a', 'b'])
      for (const name of readdirSync(join(fx.folder('main'), dir))) utimesSync(join(fx.folder('main'), dir, name), anHourAgo, anHourAgo);
    fx.emu.emulator.requestLog.clear();
    fx.emu.emulator.faults.add({ match: { operation: 'HeadObject' }, times: Infinity, action: { type: 'latency', ms: 600 } });
    await fx.startDaemon('run');
    await allVerified(fx, 'main', 2000);
    const heads = fx.emu.emulator.requestLog.entries().filter((e) => e.operation === 'HeadObject');
    expect(heads.length).toBe(20);
    const mostAtOnce = Math.max(...heads.map((h) => heads.filter((o) => o.time <= h.time && h.time < o.time + o.durationMs).length));
    expect(mostAtOnce).toBeLessThanOrEqual(8);
    expect(fx.emu.emulator.requestLog.entries().filter((e) => e.operation === 'PutObject')).toEqual([]);
  });

  it('absence is known from key order: while a later page is held, the batch the first page decides is recorded and its new file queued', async () => {
    // Walked: a/ (999 files OSS holds, and a/extra.txt it lacks): one batch. Listed: a/ and z/ (on
    // OSS only): the first page ends at main/z/o0, past every walked key.
    const relPaths = Array.from({ length: 999 }, (_, i) => `a/f${i}.txt`);
    fx = await treeAlreadyOnOss(relPaths);
    writeFileSync(join(fx.folder('main'), 'a/extra.txt'), 'not on OSS');
    const client = fx.emu.client();
    for (let i = 0; i < 3; i++) await client.put(`main/z/o${i}`, Buffer.from('elsewhere'));
    const { faults, requestLog } = fx.emu.emulator;
    requestLog.clear();
    faults.add({ match: { operation: 'ListObjectsV2' }, nth: 2, times: 1, action: { type: 'latency', ms: 600_000 } });
    const stop = new AbortController();
    const logger = new Logger({ level: 'error', write: () => {} });
    const starting = Daemon.start({ config: loadConfig(fx.configPath), logger, version: 'test', mode: 'run', stopSignal: stop.signal });
    await waitFor(() => faults.list().length === 0, { what: 'the second page held' });
    await waitFor(
      () => {
        const store = fx.openStore();
        try {
          const counts = store.report.folderCounts().find((c) => c.folder === 'main');
          return counts?.verified === 999 && store.queue.find('main', 'a/extra.txt')?.state === 'queued';
        } finally {
          store.close();
        }
      },
      { what: 'the files of the first page recorded, a/extra.txt queued, while the second page is held' },
    );
    // A stop now cuts the listing short: the adoption stays unfinished, and the next start lists again.
    stop.abort();
    const daemon = await starting;
    await daemon.stop();
    await fx.startDaemon('run');
    await allVerified(fx, 'main', 1000);
    expect(
      requestLog
        .entries()
        .filter((e) => e.operation === 'PutObject')
        .map((e) => e.key),
    ).toEqual(['main/a/extra.txt']);
  });

  it('keys of astral characters and of U+E000..U+FFFF are placed in the order OSS lists them (UTF-8): none queued that is there, none lost', async () => {
    // The first page ends at main/\uFF21.txt. UTF-16 puts main/\u{1F600}.txt (on the second page)
    // before it: taken as absent there, it would go through the queue (read twice, or uploaded
    // again should the rest of the listing fail).
    const relPaths = [...Array.from({ length: 999 }, (_, i) => `a/f${i}.txt`), '\uFF21.txt', '\u{1F600}.txt'];
    fx = await treeAlreadyOnOss(relPaths);
    const fresh = ['\uE000-new.txt', '\u{1F601}-new.txt'];
    const anHourAgo = new Date(Date.now() - 3_600_000);
    for (const name of fresh) {
      writeFileSync(join(fx.folder('main'), name), `local ${name}`);
      utimesSync(join(fx.folder('main'), name), anHourAgo, anHourAgo); // adopted or queued by the walk, not held back
    }
    const { faults, requestLog } = fx.emu.emulator;
    requestLog.clear();
    // The second page comes late: the walk's batches meet the first page alone.
    faults.add({ match: { operation: 'ListObjectsV2' }, nth: 2, times: 1, action: { type: 'latency', ms: 1500 } });
    const { logs } = await fx.startDaemon('run');
    await allVerified(fx, 'main', relPaths.length + fresh.length);
    const reconciled = logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((r) => r.msg === 'reconciled folder');
    expect(reconciled).toMatchObject({ scanned: relPaths.length + fresh.length, queued: fresh.length });
    const puts = requestLog.entries().filter((e) => e.operation === 'PutObject');
    expect(puts.map((e) => e.key).sort()).toEqual(fresh.map((name) => `main/${name}`).sort());
    for (const name of fresh) expect((await fx.remote(`main/${name}`))?.toString()).toBe(`local ${name}`);
  });

  it('kill -9 while the listing is held, batches recorded or waiting: the next start adopts the rest (no upload)', async () => {
    // Three pages: a/ (1,000 keys), b/ (1,000), c/ (one): at least one walk batch is all of pages 1-2.
    const relPaths = [...['a', 'b'].flatMap((dir) => Array.from({ length: 1000 }, (_, i) => `${dir}/f${i}.txt`)), 'c/last.txt'];
    fx = await treeAlreadyOnOss(relPaths);
    const { faults, requestLog } = fx.emu.emulator;
    // Page 2 comes late (the batches of page 1 are read meanwhile), page 3 never while the daemon lives.
    faults.add({ match: { operation: 'ListObjectsV2' }, nth: 2, times: 1, action: { type: 'latency', ms: 1500 } });
    faults.add({ match: { operation: 'ListObjectsV2' }, nth: 3, times: 1, action: { type: 'latency', ms: 60_000 } });
    const first = fx.spawnCli(['run', '--config', fx.configPath]);
    await waitFor(() => faults.list().length === 0, { what: 'the last page of the listing held' });
    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    requestLog.clear();

    await fx.startDaemon('run');
    await allVerified(fx, 'main', relPaths.length);
    expect(requestLog.entries().filter((e) => e.operation === 'PutObject')).toEqual([]);
  });

  it('kill -9 after the listing, between recording one walked batch and the next: the next start adopts the rest (no upload)', async () => {
    // Three directories of 700: the walk hands them over in more than one batch.
    const relPaths = ['a', 'b', 'c'].flatMap((dir) => Array.from({ length: 700 }, (_, i) => `${dir}/f${i}.txt`));
    fx = await treeAlreadyOnOss(relPaths);
    // The daemon stops itself (SIGSTOP) right after the first batch's rows are committed.
    const first = fx.spawnCli(['run', '--config', fx.configPath], { OSS_SYNC_FAILPOINT: 'adopted-batch-recorded:stop' });
    const stopped = (): boolean => readFileSync(`/proc/${first.child.pid}/stat`, 'utf8').split(') ')[1]!.startsWith('T');
    await waitFor(stopped, { what: 'the daemon stopped after recording one batch' });
    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    const store = fx.openStore();
    const recorded = store.queue.countFor('main');
    store.close();
    expect(recorded).toBeGreaterThan(0);
    expect(recorded).toBeLessThan(relPaths.length);
    const { requestLog } = fx.emu.emulator;
    requestLog.clear();

    await fx.startDaemon('run');
    await allVerified(fx, 'main', relPaths.length);
    expect(requestLog.entries().filter((e) => e.operation === 'PutObject')).toEqual([]);
  });

  it('SIGTERM while the start-up listing is held: the listing is cut short and the daemon stops, without uploading', async () => {
    fx = await filesAlreadyOnOss(3);
    // The listing would take ten minutes: past any systemd stop timeout.
    fx.emu.emulator.faults.add({ match: { operation: 'ListObjectsV2' }, times: 1, action: { type: 'latency', ms: 600_000 } });
    await stopWhileHeldThenAdopt(fx, 'its listing is held', 3);
  });

  it('SIGTERM while adoption HEADs multipart objects on a slow link: the daemon stops at once, and the next start adopts them (no upload)', async () => {
    fx = await createSyncFixture([{ name: 'main' }]);
    const client = fx.emu.client();
    const relPaths = Array.from({ length: 10 }, (_, i) => `m${i}.bin`);
    const anHourAgo = new Date(Date.now() - 3_600_000);
    for (const relPath of relPaths) {
      const body = randomBytes(100 * 1024 + 1);
      writeFileSync(join(fx.folder('main'), relPath), body);
      utimesSync(join(fx.folder('main'), relPath), anHourAgo, anHourAgo);
      await client.multipartUpload(`main/${relPath}`, body, { partSize: 100 * 1024 });
    }
    const { faults, requestLog } = fx.emu.emulator;
    requestLog.clear();
    // Every HEAD adoption sends at once (8) is held ten minutes: past any systemd stop timeout.
    faults.add({ match: { operation: 'HeadObject' }, times: 8, action: { type: 'latency', ms: 600_000 } });
    await stopWhileHeldThenAdopt(fx, "adoption's HEADs are held", relPaths.length);
  });

  it('a folder with encryption or tags adopts nothing: an object already there without them is uploaded again', async () => {
    fx = await createSyncFixture([{ name: 'main', more: { server_side_encryption: 'AES256', tags: { host: 'a' } } }]);
    writeFileSync(join(fx.folder('main'), 'a.txt'), 'same bytes');
    await fx.emu.client().put('main/a.txt', Buffer.from('same bytes')); // put by another client: neither
    fx.emu.emulator.requestLog.clear();
    await fx.startDaemon('run');
    await allVerified(fx, 'main', 1);
    const operations = fx.emu.emulator.requestLog.entries().map((e) => e.operation);
    expect(operations.filter((o) => o === 'PutObject')).toEqual(['PutObject']);
    const head = await fx.emu.client().head('main/a.txt');
    expect(head.res.headers).toMatchObject({ 'x-oss-server-side-encryption': 'AES256', 'x-oss-tagging-count': '1' });
  });
});
