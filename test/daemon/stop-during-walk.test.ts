import { execFileSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/fixtures.js';
import { createSyncFixture, type SyncFixture } from '../helpers/sync-fixture.js';
import { waitFor } from '../helpers/wait.js';

describe('a stop during the start-up walk', () => {
  let fx: SyncFixture | undefined;
  const dirs: Array<{ remove: () => void }> = [];
  const leftovers: string[] = [];
  afterEach(async () => {
    await fx?.cleanup();
    fx = undefined;
    for (const pidFile of leftovers.splice(0)) {
      try {
        process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGKILL');
      } catch {
        // never started, or killed by the daemon as it should be
      }
    }
    for (const dir of dirs.splice(0)) dir.remove();
  });

  it('SIGTERM while find is still walking a big tree: the walk is cut short, nothing is judged missing, and the daemon exits at once', async () => {
    fx = await createSyncFixture([{ name: 'main' }]);
    for (let i = 0; i < 50; i++) writeFileSync(join(fx.folder('main'), `f${i}.txt`), `file ${i}`);
    // A find that has printed every file but has not finished (a tree of millions on a slow disk, as the
    // daemon sees it): the real find, then a sleep in its place. The daemon's probe of find is left alone.
    const bin = tempDir('oss-sync-slow-find-');
    dirs.push(bin);
    const find = join(bin.path, 'find');
    // Its pid is kept, so that a daemon that never killed it (the bug) leaves no sleep behind the test.
    const realFind = execFileSync('sh', ['-c', 'command -v find']).toString().trim();
    const pidFile = join(bin.path, 'sleep.pid');
    leftovers.push(pidFile);
    writeFileSync(
      find,
      `#!/bin/sh\ncase "$2" in *oss-sync-find-probe-*) exec ${realFind} "$@";; esac\n${realFind} "$@"\necho $$ > '${pidFile}'\nexec sleep 600\n`,
    );
    chmodSync(find, 0o755);
    const run = fx.spawnCli(['run', '--config', fx.configPath], { OSS_SYNC_WALKER: 'find', PATH: `${bin.path}:${process.env.PATH ?? ''}` });
    await waitFor(
      () => {
        const store = fx!.openStore();
        try {
          return store.queue.countFor('main') === 50;
        } finally {
          store.close();
        }
      },
      { what: 'the walk to queue what find printed' },
    );
    run.child.kill('SIGTERM');
    let exit: { code: number | null } | undefined;
    void run.exited.then((e) => (exit = e));
    await waitFor(() => exit !== undefined, { what: 'the daemon to stop while find is still running', timeoutMs: 20_000 });
    expect(exit!.code).toBe(0);
    // A walk cut short judges nothing: no "reconciled folder", no file missing.
    expect(run.stdout.filter((line) => line.includes('"msg":"reconciled folder"'))).toEqual([]);
  });
});
