import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TransferScheduler } from '../../src/daemon/transfer-scheduler.js';
import { StateStore, type FileRow } from '../../src/store/index.js';
import { createTree } from '../helpers/fixtures.js';
import { MemoryStorage } from '../helpers/memory-storage.js';
import { queueFiles, useStore } from '../helpers/store.js';
import { createSyncFixture, type SyncFixture } from '../helpers/sync-fixture.js';
import { waitFor } from '../helpers/wait.js';

describe('scheduling', () => {
  let fx: SyncFixture;
  afterEach(async () => fx?.cleanup());

  it('keeps small files moving while large files hold the other slots', async () => {
    fx = await createSyncFixture([{ name: 'main' }], { concurrency: { files: 2, parts_per_file: 1 }, settle_time: '50ms' });
    // Scheduling, not uploading, is under test: the in-memory storage holds every part of the large
    // files (queued first) until the small ones are all backed up.
    const storage = new MemoryStorage();
    const parts = held(storage, 'UploadPart');
    for (const name of ['big-1.bin', 'big-2.bin', 'big-3.bin']) writeFileSync(join(fx.folder('main'), name), Buffer.alloc(1024 * 1024, 3));
    const { daemon } = await fx.startDaemon('run', { storage });
    const store = daemon.store;
    await waitFor(() => store.uploads.count() > 0, { what: 'a large upload under way' });
    createTree(fx.folder('main'), Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`small-${i}.txt`, `small ${i}`])));
    await waitFor(
      () => Array.from({ length: 10 }, (_, i) => store.queue.find('main', `small-${i}.txt`)?.state).every((s) => s === 'verified'),
      {
        what: 'all small files uploaded while the large ones are held',
      },
    );
    parts.release();
    await waitFor(() => ['big-1.bin', 'big-2.bin', 'big-3.bin'].every((n) => store.queue.find('main', n)?.state === 'verified'), {
      what: 'the large files uploaded once let go',
    });
  });

  it('runs the scheduled reconcile walk on its cron schedule', async () => {
    fx = await createSyncFixture([{ name: 'main' }], { reconcile_schedule: '* * * * * *' }); // every second
    const { logs } = await fx.startDaemon();
    await waitFor(() => logs.some((l) => l.includes('"reason":"scheduled"')), { what: 'a scheduled reconcile' });
  });

  it('puts the files it has not finished back in the queue at a stop, none left looking busy', async () => {
    fx = await createSyncFixture([{ name: 'main' }], { concurrency: { files: 2, small_files: 2 }, settle_time: '50ms' });
    const storage = new MemoryStorage();
    const puts = held(storage, 'PutObject');
    const names = Array.from({ length: 12 }, (_, i) => `f-${i}.txt`);
    createTree(fx.folder('main'), Object.fromEntries(names.map((n) => [n, n])));
    const { daemon } = await fx.startDaemon('run', { storage });
    await waitFor(() => storage.inFlight > 0, { what: 'uploads under way' });
    const stopped = daemon.stop();
    puts.release(); // the stop has cancelled them: they end as aborted
    await stopped;
    const reopened = StateStore.open(fx.stateDb);
    try {
      const after = names.map((n) => reopened.queue.find('main', n)?.state);
      expect(after.filter((s) => s === 'uploading')).toEqual([]);
      expect(after.every((s) => s === 'verified' || s === 'queued')).toBe(true);
      expect(after.filter((s) => s === 'queued').length).toBeGreaterThan(0);
    } finally {
      reopened.close();
    }
  });
});

/** Holds the storage's requests of one operation until release(): a test decides when they go on. */
function held(storage: MemoryStorage, operation: string): { release: () => void } {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  storage.beforeRequest = (r) => (r.operation === operation ? gate : undefined);
  return { release };
}

describe('TransferScheduler slots', () => {
  const ctx = useStore();

  it('frees the slot itself once a run hands back its pending commit, and is idle only after both settled', async () => {
    const { store } = ctx;
    queueFiles(store, 'f', ['a', 'b']);
    const started: string[] = [];
    let finishA!: () => void;
    let idle = false;
    const markVerified = (row: FileRow): void =>
      store.queue.markVerified(row.id, row.generation, { bucket: row.bucket, key: row.key, etag: '"E"', crc64: '1', fingerprint: row });
    const scheduler = new TransferScheduler(store.queue, {
      slots: 1,
      largeFileBytes: 1 << 20,
      activeFolders: () => ['f'],
      run: async (row) => {
        started.push(row.relPath);
        // a's object is verified; only its commit is left, which resolves when the test says so.
        if (row.relPath === 'a') return { committed: new Promise<void>((resolve) => (finishA = resolve)).then(() => markVerified(row)) };
        markVerified(row);
      },
    });
    scheduler.on('idle', () => (idle = true));
    scheduler.kick();
    await waitFor(() => started.includes('b'), { what: 'b started while a waits for its commit' });
    expect(started).toEqual(['a', 'b']); // a, still settling, was not claimed again
    expect(scheduler['running'].size).toBe(1);
    expect(idle).toBe(false);
    finishA();
    await waitFor(() => idle, { what: 'idle once a settled' });
    await scheduler.stop(1000);
  });

  it('lets every running transfer listen for the stop without a listener-leak warning', async () => {
    const { store } = ctx;
    const names = Array.from({ length: 12 }, (_, i) => `f-${i}`);
    queueFiles(store, 'f', names);
    const warnings: string[] = [];
    const onWarning = (w: Error): void => void warnings.push(w.name);
    process.on('warning', onWarning);
    let listening = 0;
    const scheduler = new TransferScheduler(store.queue, {
      slots: 12,
      largeFileBytes: 1 << 20,
      activeFolders: () => ['f'],
      run: (_row, signal) =>
        new Promise<void>((resolve) => {
          listening++;
          signal.addEventListener('abort', () => resolve(), { once: true }); // as the daemon's transfers do
        }),
    });
    try {
      scheduler.kick();
      await waitFor(() => listening === 12, { what: '12 transfers running' });
      await scheduler.stop(1000);
      await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
      expect(warnings).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('puts claimed-ahead files back in the queue when their folder pauses, even with every slot busy', async () => {
    const { store } = ctx;
    const names = Array.from({ length: 6 }, (_, i) => `f-${i}`);
    queueFiles(store, 'f', names);
    let active = ['f'];
    let finishFirst!: () => void;
    const scheduler = new TransferScheduler(store.queue, {
      slots: 1,
      largeFileBytes: 1 << 20,
      activeFolders: () => active,
      run: () => new Promise<void>((resolve) => (finishFirst = resolve)),
    });
    const uploading = (): number => names.filter((n) => store.queue.find('f', n)?.state === 'uploading').length;
    scheduler.kick();
    await waitFor(() => uploading() > 1, { what: 'a file running and others claimed ahead' });
    active = []; // e.g. the folder's disk was unmounted
    scheduler.kick();
    await waitFor(() => uploading() === 1, { what: 'the claimed-ahead files queued again' });
    finishFirst();
    await scheduler.stop(1000);
  });
});
