import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { crc64 } from '../../src/lib/crc64.js';
import { createSyncFixture, type SyncFixture } from '../helpers/sync-fixture.js';
import { waitFor } from '../helpers/wait.js';

/** What the emulator received since the log was cleared: operations in order, and body bytes. */
function traffic(fx: SyncFixture): { operations: string[]; bodyBytes: number } {
  const entries = fx.emu.emulator.requestLog.entries();
  return {
    operations: entries.map((e) => `${e.operation ?? '?'} ${e.key ?? ''}`),
    bodyBytes: entries.reduce((sum, e) => sum + e.bytesReceived, 0),
  };
}

async function verifiedRow(fx: SyncFixture, folder: string, relPath: string): Promise<void> {
  await waitFor(
    () => {
      const store = fx.openStore();
      try {
        return store.queue.find(folder, relPath)?.state === 'verified';
      } finally {
        store.close();
      }
    },
    { what: `${folder}/${relPath} verified` },
  );
}

describe('renames and moves are copied on OSS, not uploaded again', () => {
  let fx: SyncFixture;
  afterEach(async () => fx?.cleanup());

  it('mirror folder: CopyObject to the new key (with the file’s mtime), checked by CRC-64, then the old key is deleted', async () => {
    fx = await createSyncFixture([{ name: 'main', delete_policy: 'mirror' }]);
    const body = randomBytes(300 * 1024);
    writeFileSync(join(fx.folder('main'), 'a.bin'), body);
    await fx.startDaemon('run');
    await verifiedRow(fx, 'main', 'a.bin');
    fx.emu.emulator.requestLog.clear();

    mkdirSync(join(fx.folder('main'), 'sub'));
    renameSync(join(fx.folder('main'), 'a.bin'), join(fx.folder('main'), 'sub/b.bin'));
    // The log has an entry once its answer is sent: wait for it there, not by listing.
    await waitFor(() => traffic(fx).operations.includes('DeleteObject main/a.bin'), { what: 'the old key deleted' });
    await verifiedRow(fx, 'main', 'sub/b.bin');
    expect(await fx.remoteKeys('main/')).toEqual(['main/sub/b.bin']);

    const { operations, bodyBytes } = traffic(fx);
    expect(bodyBytes).toBe(0);
    expect(operations.filter((o) => /^(PutObject|UploadPart|InitiateMultipartUpload) /.test(o))).toEqual([]);
    const copy = operations.indexOf('CopyObject main/sub/b.bin');
    const check = operations.indexOf('HeadObject main/sub/b.bin', copy);
    const del = operations.indexOf('DeleteObject main/a.bin');
    expect(copy).toBeGreaterThanOrEqual(0);
    expect(check).toBeGreaterThan(copy);
    expect(del).toBeGreaterThan(check); // the old key goes only after the copy was checked
    const head = await fx.emu.client().head('main/sub/b.bin');
    const st = statSync(join(fx.folder('main'), 'sub/b.bin'), { bigint: true });
    expect(head.meta).toEqual({ mtime: st.mtimeNs.toString(), mode: (Number(st.mode) & 0o7777).toString(8) });
    expect((head.res.headers as Record<string, string>)['x-oss-hash-crc64ecma']).toBe(crc64(body));
    expect((await fx.remote('main/sub/b.bin'))?.equals(body)).toBe(true);
  });

  it('a rename made while no daemon ran is found by the walk and copied too', async () => {
    fx = await createSyncFixture([{ name: 'main', delete_policy: 'mirror' }]);
    const body = randomBytes(50 * 1024);
    writeFileSync(join(fx.folder('main'), 'old.bin'), body);
    const first = await fx.startDaemon('run');
    await verifiedRow(fx, 'main', 'old.bin');
    await first.daemon.stop();
    renameSync(join(fx.folder('main'), 'old.bin'), join(fx.folder('main'), 'new.bin'));
    fx.emu.emulator.requestLog.clear();
    await fx.startDaemon('run');
    await waitFor(async () => JSON.stringify(await fx.remoteKeys('main/')) === JSON.stringify(['main/new.bin']), {
      what: 'only the new key on OSS',
    });
    await verifiedRow(fx, 'main', 'new.bin');
    const { operations, bodyBytes } = traffic(fx);
    expect(bodyBytes).toBe(0);
    expect(operations).toContain('CopyObject main/new.bin');
    expect((await fx.remote('main/new.bin'))?.equals(body)).toBe(true);
  });

  it('keep folder: the copy only; the old key stays', async () => {
    fx = await createSyncFixture([{ name: 'main' }]);
    writeFileSync(join(fx.folder('main'), 'a.txt'), 'some words');
    await fx.startDaemon('run');
    await verifiedRow(fx, 'main', 'a.txt');
    fx.emu.emulator.requestLog.clear();
    renameSync(join(fx.folder('main'), 'a.txt'), join(fx.folder('main'), 'b.txt'));
    await verifiedRow(fx, 'main', 'b.txt');
    expect(await fx.remoteKeys('main/')).toEqual(['main/a.txt', 'main/b.txt']);
    const { operations, bodyBytes } = traffic(fx);
    expect(bodyBytes).toBe(0);
    expect(operations).toContain('CopyObject main/b.txt');
    expect(operations.some((o) => o.startsWith('DeleteObject'))).toBe(false);
  });

  it('an object over the CopyObject limit is copied part by part (Initiate, UploadPartCopy, Complete)', async () => {
    process.env.OSS_SYNC_FAILPOINT = 'copy-object-max:204800'; // 200 KiB stands for 1 GiB
    try {
      fx = await createSyncFixture([{ name: 'main', delete_policy: 'mirror' }]);
      const body = randomBytes(450 * 1024);
      writeFileSync(join(fx.folder('main'), 'big.bin'), body);
      await fx.startDaemon('run');
      await verifiedRow(fx, 'main', 'big.bin');
      fx.emu.emulator.requestLog.clear();
      renameSync(join(fx.folder('main'), 'big.bin'), join(fx.folder('main'), 'moved.bin'));
      await waitFor(async () => JSON.stringify(await fx.remoteKeys('main/')) === JSON.stringify(['main/moved.bin']), {
        what: 'only the new key on OSS',
      });
      await verifiedRow(fx, 'main', 'moved.bin');
      const { operations, bodyBytes } = traffic(fx);
      expect(operations.filter((o) => o.startsWith('UploadPartCopy')).length).toBe(5); // 100 KiB parts
      expect(operations).toContain('CompleteMultipartUpload main/moved.bin');
      expect(operations.some((o) => o.startsWith('UploadPart '))).toBe(false);
      expect(bodyBytes).toBeLessThan(4096); // the Complete's XML only
      expect((await fx.remote('main/moved.bin'))?.equals(body)).toBe(true);
    } finally {
      delete process.env.OSS_SYNC_FAILPOINT;
    }
  });

  it('a failed copy falls back to an upload', async () => {
    fx = await createSyncFixture([{ name: 'main' }]);
    writeFileSync(join(fx.folder('main'), 'a.txt'), 'content');
    const { logs } = await fx.startDaemon('run');
    await verifiedRow(fx, 'main', 'a.txt');
    fx.emu.emulator.faults.add({
      match: { operation: 'CopyObject' },
      times: Infinity,
      action: { type: 'error', status: 403, code: 'AccessDenied' },
    });
    renameSync(join(fx.folder('main'), 'a.txt'), join(fx.folder('main'), 'b.txt'));
    await verifiedRow(fx, 'main', 'b.txt');
    expect((await fx.remote('main/b.txt'))?.toString()).toBe('content');
    expect(logs.some((l) => l.includes('server-side copy failed; uploading the file instead'))).toBe(true);
  });
});
