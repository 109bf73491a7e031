import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { Adoption } from '../../src/daemon/adoption.js';
import { reconcileFolder } from '../../src/daemon/reconciler.js';
import { PathFilter } from '../../src/daemon/watch/path-filter.js';
import { forEachLimit } from '../../src/lib/for-each-limit.js';
import { Logger } from '../../src/lib/logger.js';
import type { Observation } from '../../src/store/index.js';
import { createOssStorage } from '../../src/uploader/index.js';
import { createSyncFixture, type SyncFixture } from '../helpers/sync-fixture.js';

describe('adoption backpressure', () => {
  let fx: SyncFixture;
  afterEach(async () => {
    await fx?.cleanup();
  });

  it('the start-up walk waits while adoption holds more walked files than its backlog, and goes on as the listing decides them', async () => {
    fx = await createSyncFixture([{ name: 'main' }]);
    const client = fx.emu.client();
    // Listed: main/a/ (1,001 objects: two pages). Walked: b/ (5,000 files OSS lacks, keys after
    // every listed one), decided only once the listing ends.
    await forEachLimit(
      Array.from({ length: 1001 }, (_, i) => i),
      16,
      async (i) => void (await client.put(`main/a/o${i}`, Buffer.from('elsewhere'))),
    );
    mkdirSync(join(fx.folder('main'), 'b'));
    for (let i = 0; i < 5000; i++) writeFileSync(join(fx.folder('main'), 'b', `f${i}.txt`), `file ${i}`);
    // The second page comes late: a walk not held back would have handed adoption all 5,000 by then.
    fx.emu.emulator.faults.add({ match: { operation: 'ListObjectsV2' }, nth: 2, times: 1, action: { type: 'latency', ms: 2000 } });

    const folder = loadConfig(fx.configPath).folders[0]!;
    const store = fx.openStore();
    try {
      const { emu } = fx;
      const storage = createOssStorage({ endpoint: emu.endpoint, accessKeyId: emu.accessKeyId, accessKeySecret: emu.accessKeySecret });
      const adoption = new Adoption({ store, storage, logger: new Logger({ level: 'error', write: () => {} }) });
      void adoption.listFolder(folder);
      let held = 0;
      let mostHeld = 0;
      const adopt = async (walked: Observation[]): Promise<Observation[]> => {
        held += walked.length;
        mostHeld = Math.max(mostHeld, held);
        try {
          return await adoption.adoptWalked(folder, walked);
        } finally {
          held -= walked.length;
        }
      };
      const result = await reconcileFolder(store, folder, new PathFilter(), { walker: 'in-thread', adopt, adoptionBacklog: 1500 });
      await adoption.adoptQueued(folder);
      expect(result).toMatchObject({ scanned: 5000, queued: 5000 });
      // The backlog, and the one batch (1,000 files) that took it over.
      expect(mostHeld).toBeLessThanOrEqual(2500);
    } finally {
      store.close();
    }
  });
});
