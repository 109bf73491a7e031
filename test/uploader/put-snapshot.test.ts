import { closeSync, openSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { crc64 } from '../../src/lib/crc64.js';
import { MemoryBudget } from '../../src/uploader/index.js';
import { waitFor } from '../helpers/wait.js';
import { KiB, useUploaderHarness } from './harness.js';
import { MemoryJournal } from './memory-journal.js';

const MiB = 1024 * KiB;

describe('a PutObject sends one consistent snapshot of the file (real ali-oss, real emulator, real files)', () => {
  const h = useUploaderHarness();

  it('a file rewritten in place while its PutObject is on the wire goes up as it was read, never as a mix', async () => {
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
    const outcome = await upload;
    // Streamed, the object would hold the old first two thirds and the new last one, and the good
    // copy it replaced would be gone. Sent from memory, it holds the file exactly as it was read.
    expect(await h.getObject('rewritten.bin')).toEqual(content);
    expect(outcome.crc64).toBe(crc64(content));
    expect(budget.highWater).toBe(3 * MiB);
    expect(budget.inUse).toBe(0);
  });

  it('streams a file the memory budget can never hold, as before', async () => {
    const { path, content } = h.randomFile('large-put.bin', 2 * MiB);
    const budget = new MemoryBudget(MiB);
    await h
      .uploader({ multipartThreshold: 8 * MiB, memoryBudget: budget })
      .upload({ localPath: path, bucket: h.oss.bucket, key: 'large-put.bin', journal: new MemoryJournal() });
    expect(await h.getObject('large-put.bin')).toEqual(content);
    expect(budget.highWater).toBe(0);
  });
});
