/**
 * A proxy that re-sends GetObject answers chunked, without Content-Length: restore cannot tell a
 * whole body from a cut one, and said "body longer than NaN bytes". It must name what is missing
 * (a ranged part's length is in its Content-Range).
 */
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runRestore } from '../../src/daemon/restore/restore-run.js';
import { startTestEmulator, type TestEmulator } from '../helpers/emulator.js';
import { tempDir } from '../helpers/fixtures.js';
import { restoreOptions } from '../helpers/restore.js';
import { startHeaderProxy, type HeaderProxy } from '../helpers/header-proxy.js';
import { useStore } from '../helpers/store.js';

describe('restore through a proxy that answers chunked', () => {
  const db = useStore();
  let emu: TestEmulator;
  let proxy: HeaderProxy;
  let to: ReturnType<typeof tempDir>;
  beforeEach(async () => {
    emu = await startTestEmulator();
    proxy = await startHeaderProxy(emu.endpoint, {
      response: (h, method) => method === 'GET' && delete h['content-length'],
    });
    to = tempDir('oss-sync-restore-chunked-');
  });
  afterEach(async () => {
    await proxy.close();
    await emu.stop();
    to.remove();
  });

  it('fails a whole GET naming the missing Content-Length (small and large), and restores ranged parts by their Content-Range', async () => {
    await emu.client().put('p/small.bin', randomBytes(1024));
    await emu.client().put('p/whole.bin', randomBytes(100 * 1024));
    await emu.client().put('p/ranged.bin', randomBytes(300 * 1024));
    const summary = await runRestore(
      restoreOptions(emu, db.store.restores, to.path, {
        endpoint: proxy.endpoint,
        filesInParallel: 1,
        download: { partSize: 64 * 1024, rangedThreshold: 256 * 1024 },
      }),
    );
    expect(summary.entries.map((e) => ({ key: e.key, action: e.action }))).toEqual([
      { key: 'p/ranged.bin', action: 'restored' },
      { key: 'p/small.bin', action: 'failed' },
      { key: 'p/whole.bin', action: 'failed' },
    ]);
    for (const entry of summary.entries.filter((e) => e.action === 'failed')) {
      expect(entry.detail).toMatch(/without a usable Content-Length/);
      expect(entry.detail).toContain(entry.key);
    }
    expect(readdirSync(to.path)).toEqual(['ranged.bin']);
  });
});
