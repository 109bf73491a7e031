import { appendFileSync, closeSync, openSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FileChangedError, MemoryBudget, UploadAbortedError } from '../../src/uploader/index.js';
import { waitFor } from '../helpers/wait.js';
import { KiB, useUploaderHarness } from './harness.js';
import { MemoryJournal } from './memory-journal.js';

const MiB = 1024 * KiB;

describe('a PutObject sends one consistent snapshot of the file (real ali-oss, real emulator, real files)', () => {
  const h = useUploaderHarness();

  it('a file rewritten in place while its PutObject is on the wire goes up as it was read, never as a mix, and is not marked done', async () => {
    const { path, content } = h.randomFile('rewritten.bin', 3 * MiB);
    // About 3 s on the wire: the rewrite lands while the body is being sent.
    h.oss.emulator.faults.add({
      match: { operation: 'PutObject', key: 'rewritten.bin' },
      action: { type: 'throttle', bytesPerSecond: MiB },
    });
    const budget = new MemoryBudget(64 * MiB);
    const upload = h
      .uploader({ multipartThreshold: 8 * MiB, memoryBudget: budget })
      .upload({ localPath: path, bucket: h.oss.bucket, key: 'rewritten.bin', journal: new MemoryJournal() });
    await waitFor(() => h.oss.emulator.faults.list().length === 0, { what: 'the PutObject on the wire' });
    const fd = openSync(path, 'r+');
    try {
      writeSync(fd, randomBytes(MiB), 0, MiB, 2 * MiB); // the last third, in place: same size, same inode
    } finally {
      closeSync(fd);
    }
    // Not marked done: the file changed under it (the re-queued upload sends the new version).
    await expect(upload).rejects.toBeInstanceOf(FileChangedError);
    // Streamed, the object would hold the old first two thirds and the new last one, and the good
    // copy it replaced would be gone. Sent from memory, it holds the file exactly as it was read.
    expect(await h.getObject('rewritten.bin')).toEqual(content);
    expect(budget.highWater).toBe(3 * MiB);
    expect(budget.inUse).toBe(0);
  });

  it('sends a file the memory budget can never hold in parts, never as a streamed PutObject', async () => {
    const { path, content } = h.randomFile('large-put.bin', MiB + 300 * KiB);
    const budget = new MemoryBudget(MiB);
    await h
      .uploader({ multipartThreshold: 8 * MiB, partSize: 512 * KiB, memoryBudget: budget })
      .upload({ localPath: path, bucket: h.oss.bucket, key: 'large-put.bin', journal: new MemoryJournal() });
    expect(await h.getObject('large-put.bin')).toEqual(content);
    expect(h.requests('large-put.bin', 'PutObject')).toHaveLength(0);
    expect(h.requests('large-put.bin', 'CompleteMultipartUpload')).toHaveLength(1);
    expect(budget.highWater).toBeLessThanOrEqual(MiB);
  });

  it('a file that grows while its PutObject is on the wire is recorded as a prefix snapshot, not as done', async () => {
    const { path, content } = h.randomFile('growing.log', 2 * MiB);
    h.oss.emulator.faults.add({
      match: { operation: 'PutObject', key: 'growing.log' },
      action: { type: 'throttle', bytesPerSecond: MiB },
    });
    const upload = h
      .uploader({ multipartThreshold: 8 * MiB, memoryBudget: new MemoryBudget(64 * MiB) })
      .upload({ localPath: path, bucket: h.oss.bucket, key: 'growing.log', journal: new MemoryJournal() });
    await waitFor(() => h.oss.emulator.faults.list().length === 0, { what: 'the PutObject on the wire' });
    appendFileSync(path, 'one more line\n');
    const outcome = await upload;
    expect(outcome.prefixSnapshot).toBe(true);
    expect(await h.getObject('growing.log')).toEqual(content);
  });

  it('a PutObject above 1 MiB sent from memory can still be cut short by its signal (a hard cutoff)', async () => {
    // Bigger than what loopback's socket buffers take in at once, so some of it is still to be sent.
    const { path } = h.randomFile('cut.bin', 16 * MiB);
    h.oss.emulator.faults.add({ match: { operation: 'PutObject', key: 'cut.bin' }, action: { type: 'throttle', bytesPerSecond: 2 * MiB } });
    const stop = new AbortController();
    const upload = h
      .uploader({ multipartThreshold: 32 * MiB })
      .upload({ localPath: path, bucket: h.oss.bucket, key: 'cut.bin', journal: new MemoryJournal(), signal: stop.signal });
    await waitFor(() => h.oss.emulator.faults.list().length === 0, { what: 'the PutObject on the wire' });
    stop.abort();
    await expect(upload).rejects.toBeInstanceOf(UploadAbortedError);
    await waitFor(() => h.requests('cut.bin', 'PutObject').length === 1, { what: 'the PutObject logged' });
    expect(h.requests('cut.bin', 'PutObject')[0]!.status).toBe(0); // dropped, never answered
    expect(await h.getObject('cut.bin')).toBeUndefined();
  });
});
