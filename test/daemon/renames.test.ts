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

  it('mirror folder: a rename waiting behind busy workers is still copied, although its old path’s delete was due first', async () => {
    // One worker, held by a slow upload of another file: when it frees up, both the old path's delete
    // (due two settle windows after the verdict) and the new path's copy are due, the delete first
    // in queue order. A loaded machine (or a busy queue) gets there the same way.
    fx = await createSyncFixture([{ name: 'main', delete_policy: 'mirror' }], { concurrency: { files: 1, small_files: 1 } });
    const body = randomBytes(50 * 1024);
    writeFileSync(join(fx.folder('main'), 'a.bin'), body);
    await fx.startDaemon('run');
    await verifiedRow(fx, 'main', 'a.bin');
    fx.emu.emulator.faults.add({ match: { operation: 'PutObject', key: 'main/filler.txt' }, action: { type: 'latency', ms: 4000 } });
    writeFileSync(join(fx.folder('main'), 'filler.txt'), 'keeps the only worker busy');
    await waitFor(() => fx.emu.emulator.faults.list().length === 0, { what: 'the filler’s upload under way' });
    fx.emu.emulator.requestLog.clear();

    renameSync(join(fx.folder('main'), 'a.bin'), join(fx.folder('main'), 'b.bin'));
    await waitFor(() => traffic(fx).operations.includes('DeleteObject main/a.bin'), { what: 'the old key deleted' });
    await verifiedRow(fx, 'main', 'b.bin');
    const { operations } = traffic(fx);
    expect(operations.filter((o) => /^(PutObject|UploadPart|InitiateMultipartUpload) main\/b/.test(o))).toEqual([]);
    expect(operations.indexOf('DeleteObject main/a.bin')).toBeGreaterThan(operations.indexOf('HeadObject main/b.bin'));
    expect(await fx.remoteKeys('main/')).toEqual(['main/b.bin', 'main/filler.txt']);
    expect((await fx.remote('main/b.bin'))?.equals(body)).toBe(true);
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

  it('a part-by-part copy killed (kill -9) midway is resumed at restart: parts on the server are not copied again, no upload is left', async () => {
    fx = await createSyncFixture([{ name: 'main', delete_policy: 'mirror' }]);
    const env = { OSS_SYNC_FAILPOINT: 'copy-object-max:204800' }; // 200 KiB stands for 1 GiB
    const body = randomBytes(450 * 1024);
    writeFileSync(join(fx.folder('main'), 'big.bin'), body);
    const first = fx.spawnCli(['run', '--config', fx.configPath], env);
    await verifiedRow(fx, 'main', 'big.bin');
    // The copy's third part hangs, so the kill surely lands midway through the part copies.
    const hang = { match: { operation: 'UploadPartCopy', partNumber: 3 }, times: 1, action: { type: 'latency', ms: 20_000 } } as const;
    fx.emu.emulator.faults.add(hang);
    renameSync(join(fx.folder('main'), 'big.bin'), join(fx.folder('main'), 'moved.bin'));
    // Parts are copied one after another: the hang taken means parts 1 and 2 are done. Waiting only for
    // their answers let a loaded machine kill the first run before it sent part 3, and the second run's
    // part 3 then took the hang (20 s) instead.
    await waitFor(() => fx.emu.emulator.faults.list().length === 0, { what: 'part 3 sent and hanging' });
    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    const [interrupted] = (await fx.emu.client().listUploads({})).uploads ?? [];
    expect(interrupted?.name).toBe('main/moved.bin');

    fx.emu.emulator.requestLog.clear();
    fx.spawnCli(['run', '--config', fx.configPath], env);
    await verifiedRow(fx, 'main', 'moved.bin');
    expect((await fx.remote('main/moved.bin'))?.equals(body)).toBe(true);
    expect((await fx.emu.client().listUploads({})).uploads ?? []).toEqual([]);
    const entries = fx.emu.emulator.requestLog.entries().filter((e) => e.key === 'main/moved.bin');
    // The recorded upload was resumed: no new one, parts 1 and 2 not copied again, no byte uploaded.
    expect(entries.filter((e) => e.operation === 'InitiateMultipartUpload' || e.operation === 'AbortMultipartUpload')).toEqual([]);
    expect(
      entries
        .filter((e) => e.operation === 'UploadPartCopy')
        .map((e) => e.partNumber)
        .sort(),
    ).toEqual([3, 4, 5]);
    expect(entries.some((e) => e.operation === 'UploadPart' || e.operation === 'PutObject')).toBe(false);
    expect(entries.find((e) => e.operation === 'CompleteMultipartUpload')?.uploadId).toBe(interrupted!.uploadId);
  });
});
