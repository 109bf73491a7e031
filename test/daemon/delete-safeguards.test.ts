import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSyncFixture, type SyncFixture } from '../helpers/sync-fixture.js';
import { waitFor } from '../helpers/wait.js';
import { startReceiver } from '../observe/observe-helpers.js';

function withStore<T>(fx: SyncFixture, read: (store: ReturnType<SyncFixture['openStore']>) => T): T {
  const store = fx.openStore();
  try {
    return read(store);
  } finally {
    store.close();
  }
}

async function uploaded(fx: SyncFixture, names: string[]): Promise<void> {
  for (const name of names) writeFileSync(join(fx.folder('main'), name), `content of ${name}`);
  await waitFor(() => withStore(fx, (s) => s.report.folderCounts().find((c) => c.folder === 'main')?.verified === names.length), {
    what: 'every file uploaded',
  });
}

const deletes = (fx: SyncFixture): string[] =>
  fx.emu.emulator.requestLog
    .entries()
    .filter((e) => e.operation === 'DeleteObject')
    .map((e) => e.key ?? '');

describe('mirror folders: delete safeguards', () => {
  let fx: SyncFixture;
  afterEach(async () => fx?.cleanup());

  it('max_deletes: more deletes than allowed in one pass pause (webhook alert, status) until `retry --deletes`', async () => {
    const receiver = await startReceiver(() => 200);
    try {
      fx = await createSyncFixture([{ name: 'main', delete_policy: 'mirror', more: { max_deletes: '40%' } }], {
        notify: { webhook_url: `${receiver.url}/hook` },
      });
      for (const name of ['a', 'b', 'c', 'd', 'e']) writeFileSync(join(fx.folder('main'), name), `content of ${name}`);
      expect((await fx.spawnCli(['once', '--config', fx.configPath]).exited).code).toBe(0);
      for (const name of ['a', 'b', 'c']) rmSync(join(fx.folder('main'), name)); // found missing by one walk: one pass

      fx.spawnCli(['run', '--config', fx.configPath]);
      const alert = await waitFor(
        () =>
          receiver.received
            .filter((r) => r.method === 'POST')
            .map((r) => JSON.parse(r.body) as Record<string, unknown>)
            .find((w) => w.event === 'deletes.paused'),
        { what: 'the deletes.paused webhook' },
      );
      expect(alert).toMatchObject({ folder: 'main', held: 3 });
      const status = fx.spawnCli(['status', '--config', fx.configPath]);
      expect((await status.exited).code).toBe(0);
      expect(status.stdout.join('\n')).toContain("remote deletes paused: 3 (release them with 'oss-sync retry --deletes'");
      expect(deletes(fx)).toEqual([]);

      writeFileSync(join(fx.folder('main'), 'c'), 'content of c'); // back: its delete must not go
      const retry = fx.spawnCli(['retry', '--deletes', '--config', fx.configPath]);
      expect((await retry.exited).code).toBe(0);
      expect(retry.stdout.join('\n')).toContain('2 remote delete(s) released');
      await waitFor(async () => JSON.stringify(await fx.remoteKeys('main/')) === JSON.stringify(['main/c', 'main/d', 'main/e']), {
        what: 'the released deletes done',
      });
      expect(withStore(fx, (s) => s.heldDeletes.count())).toBe(0);
    } finally {
      await receiver.close();
    }
  });

  it('delete_delay: the delete waits (across a restart) and a file back in time cancels it', async () => {
    fx = await createSyncFixture([{ name: 'main', delete_policy: 'mirror', more: { delete_delay: '1h' } }]);
    const first = await fx.startDaemon('run');
    await uploaded(fx, ['a', 'b']);
    const before = Date.now();
    rmSync(join(fx.folder('main'), 'a'));
    const due = await waitFor(
      () => withStore(fx, (s) => (s.queue.find('main', 'a')?.state === 'deleting' ? s.queue.find('main', 'a') : undefined)),
      {
        what: 'a marked for deletion',
      },
    );
    expect(due.nextAttemptAt).toBeGreaterThanOrEqual(before + 3600_000);
    await first.daemon.stop();
    await fx.startDaemon('run'); // a restart keeps the wait
    await waitFor(() => withStore(fx, (s) => s.daemon.info() !== undefined), { what: 'the daemon up again' });
    expect(withStore(fx, (s) => s.queue.find('main', 'a')?.nextAttemptAt)).toBe(due.nextAttemptAt);
    writeFileSync(join(fx.folder('main'), 'a'), 'content of a');
    await waitFor(() => withStore(fx, (s) => s.queue.find('main', 'a')?.state === 'verified'), { what: 'a back and verified' });
    expect(await fx.remoteKeys('main/')).toEqual(['main/a', 'main/b']);
    expect(deletes(fx)).toEqual([]);
  });

  it('a bucket under WORM retention: the delete fails for good at once (parked), not retried', async () => {
    fx = await createSyncFixture([{ name: 'main', delete_policy: 'mirror' }]);
    await fx.startDaemon('run');
    await uploaded(fx, ['a']);
    const locked = await fetch(`${fx.emu.endpoint}/-/worm`, {
      method: 'POST',
      headers: { authorization: `Bearer ${fx.emu.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ bucket: fx.emu.bucket }),
    });
    expect(locked.status).toBe(204);
    rmSync(join(fx.folder('main'), 'a'));
    const row = await waitFor(
      () => withStore(fx, (s) => (s.queue.find('main', 'a')?.state === 'failed' ? s.queue.find('main', 'a') : undefined)),
      {
        what: 'the delete parked',
      },
    );
    expect(row.lastError).toContain('FileImmutable');
    expect(deletes(fx)).toEqual(['main/a']);
    expect(await fx.remoteKeys('main/')).toEqual(['main/a']);
  });
});
