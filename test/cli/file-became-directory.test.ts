/**
 * A queued file replaced by a directory before its upload began is gone (the delete policy applies,
 * as for a removed file), not a failure; the directory's files are new work for the next walk.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createTree } from '../helpers/fixtures.js';
import { createSyncFixture, type SyncFixture } from '../helpers/sync-fixture.js';
import { waitFor } from '../helpers/wait.js';

describe('a file replaced by a directory while it waits in the queue', () => {
  let fx: SyncFixture | undefined;
  afterEach(async () => {
    await fx?.cleanup();
    fx = undefined;
  });

  it("is treated as deleted by `once` (exit 0), and the directory's files go up with the next run", { timeout: 90_000 }, async () => {
    // One file at a time: one waits for the slot while the other's PutObject is held on the wire.
    fx = await createSyncFixture([{ name: 'main' }], { concurrency: { files: 1, small_files: 1 } });
    const emulator = fx.emu.emulator;
    createTree(fx.folder('main'), { 'a.txt': 'a', 'b.txt': 'b' });
    emulator.faults.add({ match: { operation: 'PutObject' }, action: { type: 'latency', ms: 2_000 } });
    const once = fx.spawnCli(['once', '--config', fx.configPath]);
    await waitFor(() => emulator.faults.list().length === 0, { what: 'the first PutObject on the wire' });
    // Whichever file went first (its bytes already read), the other waits for the slot: both become
    // directories now, so the waiting one finds a directory where its file was.
    for (const name of ['a.txt', 'b.txt']) {
      const path = join(fx.folder('main'), name);
      rmSync(path);
      mkdirSync(path);
      writeFileSync(join(path, 'inner.txt'), `inside ${name}`);
    }

    const { code } = await once.exited;
    const stderr = once.stderr.join('\n');
    expect(code, stderr).toBe(0);
    expect(stderr).not.toContain('not a regular file');
    const keys = await fx.remoteKeys();
    expect(keys).toHaveLength(1); // the one on the wire, as it was
    const store = fx.openStore();
    try {
      // keep policy: the waiting one is forgotten, as a removed file is
      expect(['a.txt', 'b.txt'].filter((name) => store.queue.find('main', name) !== undefined)).toEqual([keys[0]!.slice('main/'.length)]);
    } finally {
      store.close();
    }

    // The directories' files are new work, found by the next walk.
    const again = fx.spawnCli(['once', '--config', fx.configPath]);
    expect((await again.exited).code, again.stderr.join('\n')).toBe(0);
    expect((await fx.remoteKeys()).filter((k) => k.endsWith('/inner.txt'))).toEqual(['main/a.txt/inner.txt', 'main/b.txt/inner.txt']);
  });
});
