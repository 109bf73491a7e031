/**
 * A proxy between restore and OSS that drops the Range header (some do): every ranged GET then
 * answers 200 with the whole object from byte 0. Written at a run's offset, those bytes are another
 * part's; the whole-object CRC-64 still keeps them from being renamed into place, but the restore
 * must say what happened instead of "damaged on the way" after fetching the object three times.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runRestore } from '../../src/daemon/restore/restore-run.js';
import { startTestEmulator, type TestEmulator } from '../helpers/emulator.js';
import { tempDir } from '../helpers/fixtures.js';
import { restoreOptions } from '../helpers/restore.js';
import { startHeaderProxy, type HeaderProxy } from '../helpers/header-proxy.js';
import { useStore } from '../helpers/store.js';

describe('restore through a proxy that ignores Range', () => {
  const db = useStore();
  let emu: TestEmulator;
  let proxy: HeaderProxy;
  let to: ReturnType<typeof tempDir>;
  beforeEach(async () => {
    emu = await startTestEmulator();
    proxy = await startHeaderProxy(emu.endpoint, { request: (h) => delete h.range });
    to = tempDir('oss-sync-restore-range-');
  });
  afterEach(async () => {
    await proxy.close();
    await emu.stop();
    to.remove();
  });

  it('names the ignored Range after one GET per stream, and renames nothing into place', async () => {
    await emu.client().put('p/big.bin', randomBytes(4 * 64 * 1024));
    const summary = await runRestore(
      restoreOptions(emu, db.store.restores, to.path, {
        endpoint: proxy.endpoint,
        filesInParallel: 1,
        download: { partSize: 64 * 1024, rangedThreshold: 64 * 1024 },
      }),
    );
    expect(summary.entries).toHaveLength(1);
    expect(summary.entries[0]).toMatchObject({ key: 'p/big.bin', action: 'failed' });
    expect(summary.entries[0]!.detail).toMatch(/Range/);
    expect(emu.emulator.requestLog.entries().filter((e) => e.operation === 'GetObject').length).toBeLessThanOrEqual(2);
    expect(existsSync(join(to.path, 'big.bin'))).toBe(false);
    expect(readdirSync(to.path)).toEqual([]);
  });
});
