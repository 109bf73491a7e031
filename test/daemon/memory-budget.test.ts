import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryStorage } from '../helpers/memory-storage.js';
import { createSyncFixture, type SyncFixture } from '../helpers/sync-fixture.js';
import { waitFor } from '../helpers/wait.js';

describe('concurrency.memory', () => {
  let fx: SyncFixture;
  afterEach(async () => fx?.cleanup());

  it('holds the parts of every file in flight within the budget, and backs every file up', async () => {
    // 4 files x 8 parts of 100KiB would hold 3.2 MiB of parts at once; the budget is 3 parts.
    fx = await createSyncFixture([{ name: 'main' }], {
      concurrency: { files: 4, parts_per_file: 8, memory: '300KiB' },
      settle_time: '50ms',
    });
    const files = Array.from({ length: 6 }, (_, i) => ({ name: `big-${i}.bin`, content: randomBytes(1024 * 1024 + i) }));
    for (const f of files) writeFileSync(join(fx.folder('main'), f.name), f.content);
    // The budget is the daemon's logic, not the client's: the in-memory storage serves it.
    const storage = new MemoryStorage();
    const { daemon } = await fx.startDaemon('run', { storage });
    await waitFor(() => files.every((f) => daemon.store.queue.find('main', f.name)?.state === 'verified'), {
      what: 'every file backed up',
    });
    for (const f of files) expect(storage.object(fx.emu.bucket, `main/${f.name}`)?.equals(f.content)).toBe(true);
    expect(daemon.memory.limitBytes).toBe(300 * 1024);
    expect(daemon.memory.highWater).toBeLessThanOrEqual(300 * 1024);
    expect(daemon.memory.highWater).toBeGreaterThan(0);
    expect(daemon.memory.inUse).toBe(0);
  });
});
