import { describe, expect, it } from 'vitest';
import { MemoryBudget } from '../../src/uploader/index.js';
import { KiB, useUploaderHarness } from './harness.js';
import { MemoryJournal } from './memory-journal.js';

describe('MemoryBudget', () => {
  it('hands bytes out in arrival order, never over the limit, and tells a waiter that can never fit', async () => {
    const budget = new MemoryBudget(300);
    expect(await budget.acquire(200)).toBe(true);
    const granted: string[] = [];
    const big = budget.acquire(250).then((ok) => granted.push(`big:${ok}`));
    expect(budget.tryAcquire(50)).toBe(false); // free, but the big one waits first
    budget.release(200);
    await big;
    expect(budget.inUse).toBe(250);
    const aborts = new AbortController();
    const aborted = budget.acquire(100, aborts.signal);
    const later = budget.acquire(100).then((ok) => granted.push(`later:${ok}`));
    aborts.abort(new Error('stopping'));
    await expect(aborted).rejects.toThrow('stopping');
    budget.setLimit(90); // a reload lowered it: 100 bytes can never be had now
    await later;
    expect(granted).toEqual(['big:true', 'later:false']);
    expect(await budget.acquire(1_000)).toBe(false);
    budget.release(250);
    expect(budget.inUse).toBe(0);
    expect(budget.highWater).toBe(250);
  });

  it('gives one upload its first buffer (waited for), then more only while free at once and within its share', async () => {
    const budget = new MemoryBudget(100, 2); // share: 50 bytes
    expect(await budget.acquireUpTo(4, 10)).toBe(4);
    expect(await budget.acquireUpTo(8, 10)).toBe(5); // its share
    expect(budget.inUse).toBe(90);
    expect(await budget.acquireUpTo(1, 200)).toBe(0); // can never fit: the upload streams its parts
    const waiting = budget.acquireUpTo(2, 30); // 10 free: waits for its first
    budget.release(40);
    expect(await waiting).toBe(1); // a second would not be free at once
    expect(budget.inUse).toBe(80);
  });
});

describe('uploads sharing a memory budget (real ali-oss, real emulator, real files)', () => {
  const h = useUploaderHarness();

  it('keeps every part buffer of many concurrent multipart uploads within the budget, and uploads them all', async () => {
    const partSize = 100 * KiB;
    const limit = 3 * partSize;
    const budget = new MemoryBudget(limit);
    // Unbudgeted, these 6 files x 4 parts in flight would hold 24 parts (2.4 MiB) at once.
    const uploader = h.uploader({ partSize, multipartThreshold: partSize, partConcurrency: 4, memoryBudget: budget });
    h.oss.emulator.faults.add({ match: { operation: 'UploadPart' }, times: Infinity, action: { type: 'latency', ms: 20 } });
    const files = Array.from({ length: 6 }, (_, i) => ({
      key: `budget-${i}.bin`,
      ...h.randomFile(`budget-${i}.bin`, 8 * partSize + i * KiB),
    }));
    await Promise.all(
      files.map((f) => uploader.upload({ localPath: f.path, bucket: h.oss.bucket, key: f.key, journal: new MemoryJournal() })),
    );
    for (const f of files) expect((await h.getObject(f.key))?.equals(f.content)).toBe(true);
    expect(budget.highWater).toBeLessThanOrEqual(limit);
    expect(budget.highWater).toBeGreaterThanOrEqual(2 * partSize); // parts did go up in parallel
    expect(budget.inUse).toBe(0); // every upload gave its buffers back
  });

  it('streams the parts of a file whose part can never fit the budget, instead of waiting forever', async () => {
    const budget = new MemoryBudget(150 * KiB);
    const uploader = h.uploader({ partSize: 200 * KiB, multipartThreshold: 200 * KiB, memoryBudget: budget });
    const { path, content } = h.randomFile('too-big-parts.bin', 500 * KiB);
    await uploader.upload({ localPath: path, bucket: h.oss.bucket, key: 'too-big-parts.bin', journal: new MemoryJournal() });
    expect((await h.getObject('too-big-parts.bin'))?.equals(content)).toBe(true);
    expect(budget.highWater).toBe(0);
  });
});
