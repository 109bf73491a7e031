import Database from 'better-sqlite3';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SCHEMA_VERSION } from '../../src/store/index.js';
import { createTree } from '../helpers/fixtures.js';
import { createSyncFixture, type SyncFixture } from '../helpers/sync-fixture.js';

let fx: SyncFixture | undefined;
afterEach(async () => {
  await fx?.cleanup();
  fx = undefined;
});

const NOBODY = 65534;

/**
 * The state files are the daemon user's alone (0600 in a 0700 folder); an administrator who wants
 * operators to read them creates them readable before the first start (oss-sync then warns).
 */
function openUpStateFiles(stateDb: string): void {
  mkdirSync(dirname(stateDb), { mode: 0o755 });
  for (const path of [stateDb, `${stateDb}.lock`]) writeFileSync(path, '', { mode: 0o644 });
}

// An operator reading a service's state: the database belongs to the daemon's user (root here).
describe.skipIf(process.getuid?.() !== 0)('status for a user who cannot write the state database', () => {
  it("reads a running daemon's state, and says what to do when none runs", async () => {
    fx = await createSyncFixture();
    createTree(fx.folder('main'), { 'a.txt': 'a' });
    chmodSync(fx.root, 0o755); // the config is readable to all; the state folder stays root's
    chmodSync(fx.configPath, 0o644);
    openUpStateFiles(fx.stateDb);
    const run = fx.spawnCli(['run', '--config', fx.configPath]);
    await run.waitForLog((r) => r.msg === 'uploaded');
    const status = fx.spawnCli(['status', '--config', fx.configPath, '--json'], {}, { uid: NOBODY });
    expect((await status.exited).code, status.stderr.join('\n')).toBe(0);
    const snapshot = JSON.parse(status.stdout.join('\n')) as {
      schemaVersion: number;
      daemon: { running: boolean; pid: number };
      totals: { uploaded: number };
    };
    expect(snapshot.schemaVersion).toBe(1);
    expect(snapshot.daemon).toMatchObject({ running: true, pid: run.child.pid });
    expect(snapshot.totals.uploaded).toBe(1);

    run.child.kill('SIGTERM');
    expect((await run.exited).code).toBe(0);
    const stopped = fx.spawnCli(['status', '--config', fx.configPath], {}, { uid: NOBODY });
    expect((await stopped.exited).code).toBe(1);
    expect(stopped.stderr.join('\n')).toContain(
      `cannot read the state database ${fx.stateDb} as this user: with no daemon running, SQLite must create ${fx.stateDb}-shm, and ${dirname(fx.stateDb)} is not writable by this user`,
    );
  });

  // It cannot migrate, and rows of another schema may mean other things: it says so, not a wrong count.
  it('refuses a database of another schema version, naming it and what to do', async () => {
    fx = await createSyncFixture();
    chmodSync(fx.root, 0o755);
    chmodSync(fx.configPath, 0o644);
    openUpStateFiles(fx.stateDb);
    const run = fx.spawnCli(['run', '--config', fx.configPath]);
    await run.waitForLog((r) => r.msg === 'oss-sync started');
    const db = new Database(fx.stateDb);
    try {
      for (const [version, expected] of [
        [
          SCHEMA_VERSION + 1,
          `has schema version ${SCHEMA_VERSION + 1}, newer than this oss-sync understands (${SCHEMA_VERSION}); upgrade oss-sync`,
        ],
        [
          SCHEMA_VERSION - 1,
          `has schema version ${SCHEMA_VERSION - 1}, older than this oss-sync's (${SCHEMA_VERSION}); starting the daemon upgrades it`,
        ],
      ] as const) {
        db.pragma(`user_version = ${version}`);
        const status = fx.spawnCli(['status', '--config', fx.configPath], {}, { uid: NOBODY });
        expect((await status.exited).code).toBe(1);
        expect(status.stderr.join('\n')).toContain(`state database ${fx.stateDb} ${expected}`);
      }
    } finally {
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
      db.close();
    }
    run.child.kill('SIGTERM');
    expect((await run.exited).code).toBe(0);
  });
});
