/**
 * A key whose name segment is longer than a file system takes (255 bytes) can never be restored:
 * the final rename fails. For a large object that came after the whole download, and the kept
 * temporary file and its progress row made every rerun read it all again. Refused before any GET.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runRestore } from '../../src/daemon/restore/restore-run.js';
import { startTestEmulator, type TestEmulator } from '../helpers/emulator.js';
import { tempDir } from '../helpers/fixtures.js';
import { restoreOptions } from '../helpers/restore.js';
import { useStore } from '../helpers/store.js';

describe('restore of a name segment over 255 bytes', () => {
  const db = useStore();
  let emu: TestEmulator;
  let to: ReturnType<typeof tempDir>;
  beforeEach(async () => {
    emu = await startTestEmulator();
    to = tempDir('oss-sync-restore-long-');
  });
  afterEach(async () => {
    await emu.stop();
    to.remove();
  });

  it('refuses it by key before any GET, for a large and a small object, and keeps no temporary file or progress row', async () => {
    const long = 'é'.repeat(128); // 256 bytes in UTF-8, 128 characters
    await emu.client().put(`p/${long}.big`, randomBytes(4 * 64 * 1024));
    await emu.client().put(`p/${long}`, Buffer.from('small'));
    await emu.client().put(`p/${long}/inside.txt`, Buffer.from('in a directory of that name'));
    const summary = await runRestore(
      restoreOptions(emu, db.store.restores, to.path, {
        filesInParallel: 1,
        download: { partSize: 64 * 1024, rangedThreshold: 64 * 1024 },
      }),
    );
    expect(summary.entries.map((e) => ({ key: e.key, action: e.action }))).toEqual([
      { key: `p/${long}`, action: 'refused' },
      { key: `p/${long}.big`, action: 'refused' },
      { key: `p/${long}/inside.txt`, action: 'refused' },
    ]);
    for (const entry of summary.entries) expect(entry.detail).toMatch(/name segment longer than 255 bytes/);
    expect(emu.emulator.requestLog.entries().filter((e) => e.operation === 'GetObject' || e.operation === 'HeadObject')).toEqual([]);
    expect(readdirSync(to.path)).toEqual([]);
    expect(db.store.restores.find(join(to.path, `${long}.big`))).toBeUndefined();
  });
});
