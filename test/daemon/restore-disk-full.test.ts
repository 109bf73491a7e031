/**
 * A large restore onto a disk that fills up keeps its temporary file and its checked parts on
 * purpose, to resume: the error must say so, or the operator deletes it (or wonders where the
 * space went) instead of freeing space and running restore again.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runRestore } from '../../src/daemon/restore/restore-run.js';
import { startTestEmulator, type TestEmulator } from '../helpers/emulator.js';
import { tempDir } from '../helpers/fixtures.js';
import { restoreOptions } from '../helpers/restore.js';
import { cannotMount, mountTmpfs, umount } from '../helpers/mounts.js';
import { useStore } from '../helpers/store.js';

const mountRefused = cannotMount();
if (mountRefused !== undefined) console.warn(`restore-disk-full skipped: mounting a tmpfs is not permitted here (${mountRefused})`);

describe.skipIf(mountRefused !== undefined)('restore onto a disk that fills up', () => {
  const db = useStore();
  let emu: TestEmulator;
  let to: ReturnType<typeof tempDir>;
  let mounted = false;
  beforeEach(async () => {
    emu = await startTestEmulator();
    to = tempDir('oss-sync-restore-full-');
  });
  afterEach(async () => {
    if (mounted) umount(to.path);
    mounted = false;
    await emu.stop();
    to.remove();
  });

  it('says the temporary file is kept to resume, and resumes from it once there is space', async () => {
    mountTmpfs(to.path, '256k');
    mounted = true;
    const body = randomBytes(1024 * 1024);
    await emu.client().put('p/big.bin', body);
    const options = restoreOptions(emu, db.store.restores, to.path, {
      filesInParallel: 1,
      download: { partSize: 64 * 1024, rangedThreshold: 64 * 1024, partsInParallel: 1 },
    });
    const full = await runRestore(options);
    expect(full.entries).toMatchObject([{ key: 'p/big.bin', action: 'failed' }]);
    expect(full.entries[0]!.detail).toMatch(/ENOSPC/);
    expect(full.entries[0]!.detail).toMatch(/kept to resume: free space and run restore again/);
    expect(readdirSync(to.path)).toEqual(['.big.bin.oss-sync-restore.part']);

    mountTmpfs(to.path, '4m', true);
    const again = await runRestore(options);
    expect(again.entries).toMatchObject([{ key: 'p/big.bin', action: 'restored' }]);
    expect(again.resumedBytes).toBeGreaterThan(0);
    expect(readFileSync(join(to.path, 'big.bin')).equals(body)).toBe(true);
  });
});
