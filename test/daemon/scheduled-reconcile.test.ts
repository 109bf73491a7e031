/** reconcile_schedule: `run` walks every folder again on the schedule, each logged with reason "scheduled". */
import { afterEach, describe, it } from 'vitest';
import { createSyncFixture, type SyncFixture } from '../helpers/sync-fixture.js';
import { waitFor } from '../helpers/wait.js';

describe('reconcile_schedule', () => {
  let fx: SyncFixture | undefined;
  afterEach(async () => fx?.cleanup());

  it('walks every folder again on the schedule', async () => {
    fx = await createSyncFixture([{ name: 'a' }, { name: 'b' }], { reconcile_schedule: '* * * * * *' });
    const { logs } = await fx.startDaemon('run');
    const scheduled = (folder: string): boolean =>
      logs.some((l) => {
        const r = JSON.parse(l) as Record<string, unknown>;
        return r.msg === 'reconciled folder' && r.reason === 'scheduled' && r.folder === folder;
      });
    await waitFor(() => scheduled('a') && scheduled('b'), { what: 'a scheduled reconcile of both folders' });
  });
});
