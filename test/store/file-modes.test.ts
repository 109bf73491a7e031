/**
 * The state database lists every backed-up path, and whoever can open its lock file can hold a read
 * lock on it and keep the daemon from starting. oss-sync's files are 0600 and the folders it makes
 * 0700, whatever the umask; a database made before (0644) is named with a warning at start-up.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSyncFixture, type SyncFixture } from '../helpers/sync-fixture.js';

const NOBODY = 65534;
const mode = (path: string): string => (statSync(path).mode & 0o777).toString(8);

let fx: SyncFixture | undefined;
afterEach(async () => {
  await fx?.cleanup();
  fx = undefined;
});

/** What `nobody` gets opening path for reading: 'opened' or the errno code. */
function openAsNobody(path: string): string {
  const script = `try { require('node:fs').openSync(${JSON.stringify(path)}, 'r'); console.log('opened'); } catch (e) { console.log(e.code); }`;
  const result = spawnSync(process.execPath, ['-e', script], { uid: NOBODY, gid: NOBODY, encoding: 'utf8' });
  return result.stdout.trim();
}

describe.skipIf(process.getuid?.() !== 0)("state files are the daemon user's alone", () => {
  it('a run makes the database, -wal, -shm and .lock 0600 in a 0700 folder, even under umask 022; nobody cannot open the lock', async () => {
    fx = await createSyncFixture();
    writeFileSync(join(fx.folder('main'), 'a.txt'), 'a');
    chmodSync(fx.root, 0o755); // a shared parent: what protects the state is its own modes
    // The usual umask (the child inherits it): the modes must come from oss-sync, not the umask.
    const umask = process.umask(0o022);
    let run;
    try {
      run = fx.spawnCli(['run', '--config', fx.configPath]);
    } finally {
      process.umask(umask);
    }
    await run.waitForLog((r) => r.msg === 'uploaded');
    expect(mode(dirname(fx.stateDb))).toBe('700');
    for (const suffix of ['', '-wal', '-shm', '.lock']) expect(mode(`${fx.stateDb}${suffix}`), suffix).toBe('600');
    expect(openAsNobody(`${fx.stateDb}.lock`)).toBe('EACCES');
    expect(openAsNobody(fx.stateDb)).toBe('EACCES');
    // ...even with the folder opened up: the files themselves refuse
    chmodSync(dirname(fx.stateDb), 0o755);
    expect(openAsNobody(`${fx.stateDb}.lock`)).toBe('EACCES');
    expect(openAsNobody(`${fx.stateDb}-wal`)).toBe('EACCES');
    chmodSync(dirname(fx.stateDb), 0o700);
    chmodSync(fx.configPath, 0o644);
    const asNobody = fx.spawnCli(['status', '--config', fx.configPath], {}, { uid: NOBODY });
    expect((await asNobody.exited).code).toBe(1);
    expect(asNobody.stderr.join('\n')).toContain(`cannot read the state database ${fx.stateDb} as this user (permission denied)`);
    const status = fx.spawnCli(['status', '--config', fx.configPath, '--json']);
    expect((await status.exited).code).toBe(0);
    expect(JSON.parse(status.stdout.join('\n'))).toMatchObject({ daemon: { running: true, pid: run.child.pid } });
    run.child.kill('SIGTERM');
    expect((await run.exited).code).toBe(0);
  });

  it('warns at start-up about a database, and its folder, that others can read', async () => {
    fx = await createSyncFixture();
    const once = fx.spawnCli(['once', '--config', fx.configPath]);
    expect((await once.exited).code).toBe(0);
    chmodSync(fx.stateDb, 0o644); // as older versions made it
    chmodSync(dirname(fx.stateDb), 0o755);
    const again = fx.spawnCli(['once', '--config', fx.configPath]);
    expect((await again.exited).code).toBe(0);
    const warnings = again.stdout
      .map((l) => JSON.parse(l) as { level: string; msg: string })
      .filter((r) => r.level === 'warn')
      .map((r) => r.msg);
    expect(warnings).toContain(
      `state_db: other users can read ${fx.stateDb} (mode 644): the database lists every backed-up path; run: chmod 600 ${fx.stateDb}`,
    );
    expect(warnings).toContain(
      `state_db: its folder ${dirname(fx.stateDb)} is open to other users (mode 755); run: chmod 700 ${dirname(fx.stateDb)} (under systemd, StateDirectoryMode=0700 keeps it so)`,
    );
    // It warns, and leaves the modes as the administrator set them.
    expect(mode(fx.stateDb)).toBe('644');
  });
});
