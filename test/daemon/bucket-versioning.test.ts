import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readStatus } from '../../src/cli/status-snapshot.js';
import { renderStatus } from '../../src/cli/status-view.js';
import { createSyncFixture, type SyncFixture } from '../helpers/sync-fixture.js';
import { waitFor } from '../helpers/wait.js';

const records = (logs: string[]): Array<Record<string, unknown>> => logs.map((l) => JSON.parse(l) as Record<string, unknown>);

describe('bucket versioning, as the daemon sees it', () => {
  let fx: SyncFixture | undefined;
  afterEach(async () => {
    await fx?.cleanup();
    fx = undefined;
  });

  it(
    'is detected at start, logged and shown by status; a mirror delete reports the delete marker it left',
    { timeout: 60_000 },
    async () => {
      fx = await createSyncFixture([{ name: 'main', delete_policy: 'mirror' }]);
      const client = fx.emu.client() as unknown as { putBucketVersioning(bucket: string, status: string): Promise<unknown> };
      await client.putBucketVersioning(fx.emu.bucket, 'Enabled');
      writeFileSync(join(fx.folder('main'), 'a.txt'), 'a');
      const { daemon, logs } = await fx.startDaemon('run');
      await waitFor(() => records(logs).find((r) => r.msg === 'bucket versioning'), { what: 'the versioning log line' });
      expect(records(logs).find((r) => r.msg === 'bucket versioning')).toMatchObject({ bucket: fx.emu.bucket, versioning: 'Enabled' });
      const status = await waitFor(() => readStatus(fx!.stateDb, []).versioning ?? undefined, { what: 'status to show versioning' });
      expect(status).toEqual({ [fx.emu.bucket]: 'Enabled' });
      expect(renderStatus(readStatus(fx.stateDb, []))).toContain(`versioning: ${fx.emu.bucket} Enabled`);

      await waitFor(() => daemon.store.queue.find('main', 'a.txt')?.state === 'verified', { what: 'a.txt verified' });
      rmSync(join(fx.folder('main'), 'a.txt'));
      const deleted = await waitFor(() => records(logs).find((r) => r.msg === 'deleted remote object (mirror folder)'), {
        what: 'the mirror delete',
      });
      expect(deleted.deleteMarker).toEqual(expect.any(String));
    },
  );

  it('says Off for a bucket that never had versioning', { timeout: 60_000 }, async () => {
    fx = await createSyncFixture([{ name: 'main' }]);
    const { logs } = await fx.startDaemon('run');
    const line = await waitFor(() => records(logs).find((r) => r.msg === 'bucket versioning'), { what: 'the versioning log line' });
    expect(line.versioning).toBe('Off');
  });
});
