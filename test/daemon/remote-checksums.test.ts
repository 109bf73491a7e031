import { closeSync, lstatSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSyncFixture, type SyncFixture } from '../helpers/sync-fixture.js';
import { waitFor } from '../helpers/wait.js';

const MiB = 1024 * 1024;

/** Same inode, same size, new bytes: never a moment of a truncated file (a reader would see it end early). */
function rewriteInPlace(path: string, bytes: Buffer): void {
  const fd = openSync(path, 'r+');
  try {
    writeSync(fd, bytes, 0, bytes.length, 0);
  } finally {
    closeSync(fd);
  }
}

/**
 * The rule: `status` never calls a file uploaded while OSS holds other bytes. The remote checksums a
 * row keeps (what the "content unchanged" check trusts) must describe the object as it is now.
 */
describe('remote checksums after a request that may have replaced the object', () => {
  let fx: SyncFixture | undefined;
  afterEach(async () => {
    await fx?.cleanup();
    fx = undefined;
  });

  it(
    'a PutObject rejected because the file changed under it is not trusted later: the file is sent again',
    { timeout: 120_000 },
    async () => {
      fx = await createSyncFixture([{ name: 'main' }], { multipart_threshold: '8MiB' });
      const emulator = fx.emu.emulator;
      const file = join(fx.folder('main'), 'data.bin');
      const v1 = Buffer.alloc(2 * MiB, 1);
      writeFileSync(file, v1);
      const { daemon, logs } = await fx.startDaemon('run');
      const store = daemon.store;
      await waitFor(() => store.queue.find('main', 'data.bin')?.state === 'verified', { what: 'v1 verified' });
      expect(await fx.remote('main/data.bin')).toEqual(v1);

      // v2's PutObject is kept on the wire (~8 s) while the file is written back to v1.
      emulator.faults.add({
        match: { operation: 'PutObject', key: 'main/data.bin' },
        action: { type: 'throttle', bytesPerSecond: MiB / 4 },
      });
      writeFileSync(file, Buffer.alloc(2 * MiB, 2));
      await waitFor(() => emulator.faults.list().length === 0, { what: "v2's PutObject on the wire" });
      rewriteInPlace(file, v1);

      await waitFor(() => logs.some((l) => l.includes('file changed during upload')), {
        timeoutMs: 30_000,
        what: 'the rejected PutObject',
      });
      const st = lstatSync(file, { bigint: true });
      await waitFor(
        () => {
          const row = store.queue.find('main', 'data.bin');
          return row?.state === 'verified' && row.mtimeNs === st.mtimeNs;
        },
        { timeoutMs: 30_000, what: 'the file verified again' },
      );
      // Verified means OSS holds the file's bytes: not v2, nor a torn mix of the two.
      expect((await fx.remote('main/data.bin'))?.equals(readFileSync(file))).toBe(true);
    },
  );
});
