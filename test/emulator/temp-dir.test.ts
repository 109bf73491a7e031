/** Start-up removes only what the emulator itself left behind, whatever directory it is given. */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TEMP_DIR_NAME, startEmulator } from '../../src/emulator/index.js';
import type { Emulator } from '../../src/emulator/index.js';
import { tempDir } from '../helpers/fixtures.js';

describe('emulator temp dir', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it("leaves a data dir's own tmp/ and foreign files alone, and removes only its own half-received bodies", async () => {
    const home = tempDir('oss-sync-emulator-home-'); // stands for `--data-dir ~`
    cleanups.push(() => home.remove());
    mkdirSync(join(home.path, 'tmp', 'work'), { recursive: true });
    writeFileSync(join(home.path, 'tmp', 'work', 'notes.txt'), 'precious');
    writeFileSync(join(home.path, 'tmp', 'mj0abc12-0123456789ab.part'), 'also not ours: wrong directory');
    mkdirSync(join(home.path, TEMP_DIR_NAME), { recursive: true });
    const ours = join(home.path, TEMP_DIR_NAME, 'mj0abc12-0123456789ab.part');
    const foreign = join(home.path, TEMP_DIR_NAME, 'readme.txt');
    writeFileSync(ours, 'half a body');
    writeFileSync(foreign, 'someone put this here');

    const emulator: Emulator = await startEmulator({
      dataDir: home.path,
      buckets: ['home-bucket'],
      credentials: [{ accessKeyId: 'id', accessKeySecret: 'secret' }],
    });
    cleanups.push(() => emulator.stop());

    expect(readFileSync(join(home.path, 'tmp', 'work', 'notes.txt'), 'utf8')).toBe('precious');
    expect(existsSync(join(home.path, 'tmp', 'mj0abc12-0123456789ab.part'))).toBe(true);
    expect(readFileSync(foreign, 'utf8')).toBe('someone put this here');
    expect(existsSync(ours)).toBe(false);
  });
});
