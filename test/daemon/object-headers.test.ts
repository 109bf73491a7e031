import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSyncFixture, type SyncFixture } from '../helpers/sync-fixture.js';
import { waitFor } from '../helpers/wait.js';

/** The response fields and call @types/ali-oss leaves out. */
interface TaggingClient {
  head(key: string): Promise<{ res: { headers: Record<string, string | undefined> } }>;
  getObjectTagging(key: string): Promise<{ tag: Record<string, string> }>;
}

describe("a folder's server_side_encryption and tags", () => {
  let fx: SyncFixture | undefined;
  afterEach(async () => {
    await fx?.cleanup();
    fx = undefined;
  });

  it('every object the folder uploads, by PutObject or multipart, carries them', { timeout: 60_000 }, async () => {
    fx = await createSyncFixture([
      {
        name: 'main',
        more: { server_side_encryption: 'KMS', kms_key_id: 'key-1234', tags: { folder: 'main', note: 'a b&c=d' } },
      },
    ]);
    writeFileSync(join(fx.folder('main'), 'small.txt'), 'small');
    writeFileSync(join(fx.folder('main'), 'big.bin'), Buffer.alloc(300 * 1024, 7)); // above the 256 KiB threshold
    const { daemon } = await fx.startDaemon('run');
    for (const path of ['small.txt', 'big.bin']) {
      await waitFor(() => daemon.store.queue.find('main', path)?.state === 'verified', { what: `${path} verified` });
    }
    const client = fx.emu.client() as unknown as TaggingClient;
    for (const key of ['main/small.txt', 'main/big.bin']) {
      expect((await client.head(key)).res.headers).toMatchObject({
        'x-oss-server-side-encryption': 'KMS',
        'x-oss-server-side-encryption-key-id': 'key-1234',
        'x-oss-tagging-count': '2',
      });
      expect((await client.getObjectTagging(key)).tag).toEqual({ folder: 'main', note: 'a b&c=d' });
    }
    const multipart = fx.emu.emulator.requestLog.entries().filter((e) => e.operation === 'InitiateMultipartUpload');
    expect(multipart.map((e) => e.key)).toEqual(['main/big.bin']);
  });
});
