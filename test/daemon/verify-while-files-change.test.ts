/**
 * verify on a folder in use. It reads the walk and the state rows first and asks OSS later (the
 * listing of a big bucket takes minutes; --checksum HEADs each object): what the user or the
 * daemon changed in between is a change ("pending"), never a mismatch. Told "bit rot? restore it"
 * or "requeue it", an operator would put an old copy back over new edits.
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

/** The real client; before its first request of `operation` goes out, `act` runs (a save, the daemon's work). */
class ActsBefore extends ForwardingStorage {
  private done = false;
  constructor(
    inner: ConstructorParameters<typeof ForwardingStorage>[0],
    private readonly operation: string,
    private readonly act: () => unknown,
  ) {
    super(inner);
  }

  protected override async call<T>(operation: string, options: RequestOptions | undefined, send: () => Promise<T>): Promise<T> {
    if (operation === this.operation && !this.done) {
      this.done = true;
      await this.act();
    }
    return send();
  }
}

/** `oss-sync once`: the daemon's work, run to the end. */
async function once(): Promise<void> {
  const run = fx!.spawnCli(['once', '--config', fx!.configPath]);
  expect((await run.exited).code, run.stderr.join('\n')).toBe(0);
}

/** Verifies the folder through ActsBefore; returns its findings and mismatch count. */
async function verifyWhile(operation: string, act: () => unknown, flags: { checksum: boolean; requeue: boolean }) {
  const config = loadConfig(fx!.configPath, process.env, { purpose: 'inspect' });
  const store = StateStore.open(fx!.stateDb);
  try {
    const real = createOssStorage({
      endpoint: fx!.emu.endpoint,
      accessKeyId: fx!.emu.accessKeyId,
      accessKeySecret: fx!.emu.accessKeySecret,
    });
    const storage = new ActsBefore(real, operation, act);
    const result = await verifyFolders(config, config.folders, { store, storage }, { ...flags, deep: false });
    return { findings: result.folders[0]!.findings.map((f) => ({ kind: f.kind, relPath: f.relPath })), mismatches: result.mismatches };
  } finally {
    store.close();
  }
}

describe('verify while files change', () => {
  // The walk matched the file to its row by size and mtime; the save comes before its CRC-64 read.
  it('--checksum calls a file saved after the walk pending (changed), not LOCAL-DIFFERS (bit rot), and never a mismatch', async () => {
    fx = await createSyncFixture();
    createTree(fx.folder('main'), { 'doc.txt': 'first draft' });
    await once();
    const save = () => writeFileSync(join(fx!.folder('main'), 'doc.txt'), 'second draft');
    const { findings, mismatches } = await verifyWhile('HeadObject', save, { checksum: true, requeue: true });
    expect(findings).toEqual([{ kind: 'pending', relPath: 'doc.txt' }]);
    expect(mismatches).toBe(0);
  });

  // A file the daemon uploads again during the listing has a new ETag there and the old one in the
  // rows read first: the daemon's work, not an object replaced on OSS.
  it('calls a file uploaded again during the listing pending, not DIFFERENT, and exits clean', async () => {
    fx = await createSyncFixture();
    const doc = join(fx.folder('main'), 'doc.txt');
    createTree(fx.folder('main'), { 'doc.txt': 'first draft' });
    const mtime = 1_700_000_000; // whole seconds: set again exactly after the save
    utimesSync(doc, mtime, mtime);
    await once();
    // New content of the same size and mtime, in a new inode (an editor's save-and-rename that kept
    // the mtime): the walk matches it to its row whenever it runs, the daemon sees the new inode.
    writeFileSync(`${doc}.new`, 'other draft');
    renameSync(`${doc}.new`, doc);
    utimesSync(doc, mtime, mtime);
    const { findings, mismatches } = await verifyWhile('ListObjectsV2', once, { checksum: false, requeue: false });
    expect(findings).toEqual([{ kind: 'pending', relPath: 'doc.txt' }]);
    expect(mismatches).toBe(0);
  });
});
