import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createTree } from '../helpers/fixtures.js';
import { createSyncFixture, type SyncFixture } from '../helpers/sync-fixture.js';
import { waitFor } from '../helpers/wait.js';

describe('a local read error that may pass', () => {
  let fx: SyncFixture | undefined;
  afterEach(async () => {
    delete process.env.OSS_SYNC_FAILPOINT;
    await fx?.cleanup();
    fx = undefined;
  });

  it('is retried with back-off, never parked; a file replaced meanwhile is recorded as found and goes up', async () => {
    fx = await createSyncFixture();
    const dir = fx.folder('main');
    createTree(dir, { 'db.dump': 'first version' });
    // Every open fails as with a full descriptor table (EMFILE), until the test clears it.
    process.env.OSS_SYNC_FAILPOINT = 'file-open-errno:EMFILE';
    const { daemon, logs } = await fx.startDaemon('once');
    const idle = new Promise<void>((resolve) => daemon.once('idle', resolve));
    const store = daemon.store;
    const retrying = await waitFor(
      () => {
        const row = store.queue.find('main', 'db.dump');
        expect(row?.state).not.toBe('failed');
        return row?.state === 'queued' && row.attempts >= 1 && row.lastError?.includes('EMFILE') ? row : undefined;
      },
      { what: 'the file queued for a retry after EMFILE' },
    );
    expect(retrying.lastError).toBe(`cannot read ${join(dir, 'db.dump')}: EMFILE (may pass; retried)`);
    expect(logs.some((l) => l.includes('upload failed; will retry') && l.includes('EMFILE'))).toBe(true);

    // Meanwhile an editor saves a new version (a new inode): the queued row no longer describes it.
    writeFileSync(join(dir, 'db.dump.new'), 'second version, saved by rename');
    renameSync(join(dir, 'db.dump.new'), join(dir, 'db.dump'));
    delete process.env.OSS_SYNC_FAILPOINT;

    await idle;
    expect((await fx.remote('main/db.dump'))?.toString()).toBe('second version, saved by rename');
    const row = store.queue.find('main', 'db.dump');
    expect(row?.state).toBe('verified');
    expect(logs.some((l) => l.includes('file replaced by another since it was queued'))).toBe(true);
  });
});
