import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { mostAtOnce } from '../helpers/emulator.js';
import { createSyncFixture, type SyncFixture } from '../helpers/sync-fixture.js';
import { waitFor } from '../helpers/wait.js';

describe('small files in flight (concurrency.small_files)', () => {
  let fx: SyncFixture;
  afterEach(async () => fx?.cleanup());

  const names = Array.from({ length: 24 }, (_, i) => `small-${i}.txt`);
  const allVerified = (fx: SyncFixture, store: { queue: { find(folder: string, path: string): { state: string } | undefined } }) =>
    names.every((n) => store.queue.find('main', n)?.state === 'verified');

  it('sends far more than concurrency.files small files at once with the default settings', async () => {
    // The fixture sets no concurrency: concurrency.files is 4, the default.
    fx = await createSyncFixture([{ name: 'main' }]);
    // Each PutObject takes a round trip of 300 ms, as on a slow link: requests in flight overlap.
    fx.emu.emulator.faults.add({ match: { operation: 'PutObject' }, times: Infinity, action: { type: 'latency', ms: 300 } });
    for (const n of names) writeFileSync(join(fx.folder('main'), n), `content of ${n}`);
    const { daemon } = await fx.startDaemon();
    await waitFor(() => allVerified(fx, daemon.store), { what: 'every small file uploaded' });
    const puts = fx.emu.emulator.requestLog.entries().filter((e) => e.operation === 'PutObject');
    expect(puts).toHaveLength(names.length);
    expect(mostAtOnce(puts)).toBeGreaterThan(4);
  });

  it('holds the small files in flight within concurrency.memory', async () => {
    // 200 KiB files: the 1 MiB budget has room for five at once, far fewer than small_files.
    fx = await createSyncFixture([{ name: 'main' }], {
      concurrency: { small_files: 64, memory: '1MiB' },
      multipart_threshold: '1MiB',
    });
    fx.emu.emulator.faults.add({ match: { operation: 'PutObject' }, times: Infinity, action: { type: 'latency', ms: 200 } });
    for (const n of names) writeFileSync(join(fx.folder('main'), n), Buffer.alloc(200 * 1024, n));
    const { daemon } = await fx.startDaemon();
    await waitFor(() => allVerified(fx, daemon.store), { what: 'every small file uploaded' });
    const puts = fx.emu.emulator.requestLog.entries().filter((e) => e.operation === 'PutObject');
    expect(puts).toHaveLength(names.length);
    expect(mostAtOnce(puts)).toBeLessThanOrEqual(5);
    expect(mostAtOnce(puts)).toBeGreaterThan(1);
    expect(daemon.memory.highWater).toBeLessThanOrEqual(1024 * 1024);
    expect(daemon.memory.highWater).toBeGreaterThanOrEqual(5 * 200 * 1024);
    expect(daemon.memory.inUse).toBe(0);
  });
});
