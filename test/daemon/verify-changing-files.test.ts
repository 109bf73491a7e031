/**
 * verify --checksum on a folder in use: a file saved between the walk (which matched it to its row by
 * size and mtime) and its CRC-64 read is a change, not bit rot. Told "bit rot? restore it", an
 * operator would put the old copy back over the new edits.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { verifyFolders } from '../../src/daemon/verify/verify-all.js';
import { StateStore } from '../../src/store/index.js';
import { createOssStorage } from '../../src/uploader/index.js';
import { ForwardingStorage, type ObjectInfo, type ObjectRef, type RequestOptions } from '../../src/uploader/object-storage.js';
import { createTree } from '../helpers/fixtures.js';
import { createSyncFixture, type SyncFixture } from '../helpers/sync-fixture.js';

let fx: SyncFixture | undefined;
afterEach(async () => {
  await fx?.cleanup();
  fx = undefined;
});

/** The real client; its HeadObject of a file is the moment the user saves that file (after the walk, before the read). */
class SavedDuringCheck extends ForwardingStorage {
  constructor(
    inner: ConstructorParameters<typeof ForwardingStorage>[0],
    private readonly save: () => void,
  ) {
    super(inner);
  }

  override head(ref: ObjectRef, options?: RequestOptions): Promise<ObjectInfo | undefined> {
    this.save();
    return super.head(ref, options);
  }
}

describe('verify --checksum while files change', () => {
  it('calls a file saved after the walk pending (changed), not LOCAL-DIFFERS (bit rot), and never a mismatch', async () => {
    fx = await createSyncFixture();
    createTree(fx.folder('main'), { 'doc.txt': 'first draft' });
    const once = fx.spawnCli(['once', '--config', fx.configPath]);
    expect((await once.exited).code, once.stderr.join('\n')).toBe(0);

    const config = loadConfig(fx.configPath, process.env, { purpose: 'inspect' });
    const store = StateStore.open(fx.stateDb);
    try {
      const real = createOssStorage({
        endpoint: fx.emu.endpoint,
        accessKeyId: fx.emu.accessKeyId,
        accessKeySecret: fx.emu.accessKeySecret,
      });
      const storage = new SavedDuringCheck(real, () => writeFileSync(join(fx!.folder('main'), 'doc.txt'), 'second draft'));
      const result = await verifyFolders(config, config.folders, { store, storage }, { checksum: true, deep: false, requeue: true });
      const findings = result.folders[0]!.findings.map((f) => ({ kind: f.kind, relPath: f.relPath }));
      expect(findings).toEqual([{ kind: 'pending', relPath: 'doc.txt' }]);
      expect(result.mismatches).toBe(0);
    } finally {
      store.close();
    }
  });
});
