/**
 * `oss-sync once` stopped by SIGTERM while a transfer hangs: it exits within the shutdown grace and
 * leaves the transfer to resume at the next run, rather than waiting for it (and then using a
 * closed state database).
 */
import { afterEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { createTree } from '../helpers/fixtures.js';
import { createSyncFixture, type SyncFixture } from '../helpers/sync-fixture.js';
import { waitFor } from '../helpers/wait.js';

describe('oss-sync once and SIGTERM', () => {
  let fx: SyncFixture;
  afterEach(async () => fx?.cleanup());

  it('exits 1 after the shutdown grace even though a PUT is still hanging, and the next run uploads the file', async () => {
    fx = await createSyncFixture([{ name: 'main' }], { shutdown_grace: '1s' });
    createTree(fx.folder('main'), { 'slow.txt': 'held up by the server' });
    fx.emu.emulator.faults.add({ match: { operation: 'PutObject' }, action: { type: 'latency', ms: 120_000 } });
    const once = fx.spawnCli(['once', '--config', fx.configPath]);
    // Read-only, never creating or migrating the database the child is setting up.
    await waitFor(
      () => {
        const db = new Database(fx.stateDb, { readonly: true, fileMustExist: true });
        try {
          return db.prepare(`SELECT state FROM files WHERE rel_path = 'slow.txt'`).pluck().get() === 'uploading';
        } finally {
          db.close();
        }
      },
      { what: 'the upload to be under way' },
    );
    once.child.kill('SIGTERM');
    // Well before the server would answer (2 minutes): the grace is 1 s.
    const exit = await waitFor(() => (once.child.exitCode === null && once.child.signalCode === null ? undefined : once.child.exitCode), {
      timeoutMs: 30_000,
      what: 'once to exit',
    }).catch((err: Error) => {
      throw new Error(`${err.message}\n${[...once.stdout, ...once.stderr].join('\n')}`);
    });
    const stderr = once.stderr.join('\n');
    expect(exit, stderr).toBe(1);
    expect(stderr).toContain('left to resume at the next run');
    expect(stderr).not.toMatch(/database connection is not open|TypeError/);

    fx.emu.emulator.faults.clear();
    const again = fx.spawnCli(['once', '--config', fx.configPath]);
    expect((await again.exited).code, again.stderr.join('\n')).toBe(0);
    expect(await fx.remoteKeys()).toEqual(['main/slow.txt']);
  });
});
