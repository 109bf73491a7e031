/**
 * verify while the daemon works: the state rows and the walk are read when verify starts, the
 * listing ends later (minutes, for a big bucket). A file the daemon uploads again in between has
 * a new ETag in the listing and the old one in the rows read first: that is the daemon's work, not
 * an object replaced on OSS, and must not be reported DIFFERENT (exit 1, "requeue it").
 */
import { renameSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { verifyFolders } from '../../src/daemon/verify/verify-all.js';
import { StateStore } from '../../src/store/index.js';
import { createOssStorage } from '../../src/uploader/index.js';
import { ForwardingStorage, type RequestOptions } from '../../src/uploader/object-storage.js';
import { createTree } from '../helpers/fixtures.js';
import { createSyncFixture, type SyncFixture } from '../helpers/sync-fixture.js';

let fx: SyncFixture | undefined;
afterEach(async () => {
  await fx?.cleanup();
  fx = undefined;
});

/** The real client; before its first listing request answers, the daemon uploads a file again. */
class UploadDuringListing extends ForwardingStorage {
  private done = false;
  constructor(
    inner: ConstructorParameters<typeof ForwardingStorage>[0],
    private readonly daemonWork: () => Promise<void>,
  ) {
    super(inner);
  }

  protected override async call<T>(operation: string, options: RequestOptions | undefined, send: () => Promise<T>): Promise<T> {
    if (operation === 'ListObjectsV2' && !this.done) {
      this.done = true;
      await this.daemonWork();
    }
    return send();
  }
}

describe('verify while the daemon uploads', () => {
  it('calls a file uploaded again during the listing pending, not DIFFERENT, and exits clean', async () => {
    fx = await createSyncFixture();
    const doc = join(fx.folder('main'), 'doc.txt');
    createTree(fx.folder('main'), { 'doc.txt': 'first draft' });
    const mtime = 1_700_000_000; // whole seconds: set again exactly after the save
    utimesSync(doc, mtime, mtime);
    const first = fx.spawnCli(['once', '--config', fx.configPath]);
    expect((await first.exited).code, first.stderr.join('\n')).toBe(0);

    // New content of the same size and mtime, in a new inode (an editor's save-and-rename that kept
    // the mtime): the walk matches it to its row whenever it runs, the daemon sees the new inode.
    writeFileSync(`${doc}.new`, 'other draft');
    renameSync(`${doc}.new`, doc);
    utimesSync(doc, mtime, mtime);

    const config = loadConfig(fx.configPath, process.env, { purpose: 'inspect' });
    const store = StateStore.open(fx.stateDb);
    try {
      const real = createOssStorage({
        endpoint: fx.emu.endpoint,
        accessKeyId: fx.emu.accessKeyId,
        accessKeySecret: fx.emu.accessKeySecret,
      });
      const storage = new UploadDuringListing(real, async () => {
        const daemon = fx!.spawnCli(['once', '--config', fx!.configPath]);
        expect((await daemon.exited).code, daemon.stderr.join('\n')).toBe(0);
      });
      const result = await verifyFolders(config, config.folders, { store, storage }, { checksum: false, deep: false, requeue: false });
      const findings = result.folders[0]!.findings.map((f) => ({ kind: f.kind, relPath: f.relPath }));
      expect(findings).toEqual([{ kind: 'pending', relPath: 'doc.txt' }]);
      expect(result.mismatches).toBe(0);
    } finally {
      store.close();
    }
  });
});
