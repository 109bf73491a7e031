import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { StorageError } from '../../src/uploader/index.js';
import { MemoryStorage } from '../helpers/memory-storage.js';
import { createSyncFixture, type SyncFixture } from '../helpers/sync-fixture.js';
import { waitFor } from '../helpers/wait.js';

let fx: SyncFixture | undefined;
afterEach(async () => {
  await fx?.cleanup();
  fx = undefined;
});

// A long OSS outage must not park every file until someone runs `oss-sync retry`: a file failing
// because the endpoint does (503, no answer) keeps trying; only its own failures use up max_attempts.
it('an outage longer than max_attempts tries parks no file: it goes up once OSS answers again', { timeout: 120_000 }, async () => {
  fx = await createSyncFixture([{ name: 'main' }]);
  // Each try ends when its request's time budget does: 1 s, not the fixture's 5 s, keeps three tries short.
  const oss = {
    endpoint: fx.emu.endpoint,
    access_key_id: fx.emu.accessKeyId,
    access_key_secret: fx.emu.accessKeySecret,
    retry_max_time: '1s',
  };
  fx.writeConfig(undefined, { max_attempts: 2, settle_time: '50ms', oss });
  writeFileSync(join(fx.folder('main'), 'dump.sql'), 'the nightly dump');
  const storage = new MemoryStorage();
  let outage = true;
  storage.beforeRequest = (request) => {
    if (outage && request.operation === 'PutObject')
      throw new StorageError('PutObject', request.bucket, request.key, 'ServiceUnavailable', 503, 'req-1');
  };
  const { daemon } = await fx.startDaemon('run', { storage });
  const row = () => daemon.store.queue.find('main', 'dump.sql');
  await waitFor(() => (row()?.attempts ?? 0) >= 2, { timeoutMs: 60_000, what: 'max_attempts failed tries' });
  expect(row()?.state).not.toBe('failed');
  await waitFor(() => (row()?.attempts ?? 0) > 2, { timeoutMs: 60_000, what: 'a try beyond max_attempts' });
  outage = false;
  await waitFor(() => row()?.state === 'verified', { timeoutMs: 40_000, what: 'the file backed up once OSS answers' });
  expect(storage.object(fx.emu.bucket, 'main/dump.sql')?.toString()).toBe('the nightly dump');
});
