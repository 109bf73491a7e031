/**
 * Each target is fetched into its own temporary file: two that shared one wrote the one file at
 * once, and a target got the other object's bytes while both were reported restored.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runRestore } from '../../src/daemon/restore/restore-run.js';
import { startTestEmulator, type TestEmulator } from '../helpers/emulator.js';
import { tempDir } from '../helpers/fixtures.js';
import { restoreOptions } from '../helpers/restore.js';
import { useStore } from '../helpers/store.js';

describe('temporary names of a restore', () => {
  const db = useStore();
  let emu: TestEmulator;
  let to: ReturnType<typeof tempDir>;
  beforeEach(async () => {
    emu = await startTestEmulator();
    to = tempDir('oss-sync-restore-temp-names-');
  });
  afterEach(async () => {
    await emu.stop();
    to.remove();
  });

  // A name over 200 bytes gets a hash for a temporary name; a file named as that hash (anyone who
  // can name a backed-up file can) must not get the same temporary file.
  it.each([
    ['fetched whole', 300 * 1024],
    ['fetched in ranges', 3 << 20],
  ])('gives a long name and a name that is its hash two temporary files: objects %s', async (_what, size) => {
    const long = 'l'.repeat(230);
    const bodies = new Map([[long, Buffer.alloc(size, 'L')]]);
    for (const hash of ['sha1', 'sha256']) {
      const digest = createHash(hash).update(long).digest('hex');
      for (const name of [digest.slice(0, 20), digest]) bodies.set(name, Buffer.alloc(size, name));
    }
    for (const [name, body] of bodies) await emu.client().put(`p/${name}`, body);
    // Every GET held a while: all are under way at once, as in a restore of many files.
    emu.emulator.faults.add({ match: { operation: 'GetObject' }, times: Infinity, action: { type: 'latency', ms: 300 } });
    const summary = await runRestore(restoreOptions(emu, db.store.restores, to.path, { filesInParallel: bodies.size }));
    expect(summary.entries.map((e) => [e.key, e.action])).toEqual([...bodies.keys()].sort().map((name) => [`p/${name}`, 'restored']));
    for (const [name, body] of bodies) expect(readFileSync(join(to.path, name)).equals(body), name).toBe(true);
  });
});
