import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileUploader, MemoryBudget } from '../../src/uploader/index.js';
import { tempDir } from '../helpers/fixtures.js';
import { MemoryStorage } from '../helpers/memory-storage.js';
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

describe('uploads sharing a memory budget (in-memory storage, real files)', () => {
  const KiB = 1024;
  const bucket = 'b';
  let dir: { path: string; remove: () => void };
  beforeEach(() => (dir = tempDir('oss-sync-budget-')));
  afterEach(() => dir.remove());

  function randomFile(name: string, size: number): { path: string; content: Buffer } {
    const content = randomBytes(size);
    writeFileSync(join(dir.path, name), content);
    return { path: join(dir.path, name), content };
  }

  it('keeps every part buffer of many concurrent multipart uploads within the budget, and uploads them all', async () => {
    const partSize = 100 * KiB;
    const limit = 3 * partSize;
    const budget = new MemoryBudget(limit);
    const storage = new MemoryStorage();
    // Checked as every part goes out, not only at the end: nothing over the limit is ever held.
    const heldAtPart: number[] = [];
    storage.beforeRequest = async (request) => {
      if (request.operation !== 'UploadPart') return;
      heldAtPart.push(budget.inUse);
      await new Promise((resolve) => setImmediate(resolve)); // let the other uploads catch up
    };
    // Unbudgeted, these 6 files x 4 parts in flight would hold 24 parts (2.4 MiB) at once.
    const uploader = new FileUploader(storage, { partSize, multipartThreshold: partSize, partConcurrency: 4, memoryBudget: budget });
    const files = Array.from({ length: 6 }, (_, i) => ({
      key: `budget-${i}.bin`,
      ...randomFile(`budget-${i}.bin`, 8 * partSize + i * KiB),
    }));
    await Promise.all(files.map((f) => uploader.upload({ localPath: f.path, bucket, key: f.key, journal: new MemoryJournal() })));
    for (const f of files) expect(storage.object(bucket, f.key)?.equals(f.content)).toBe(true);
    expect(heldAtPart).toHaveLength(files.reduce((n, f) => n + Math.ceil(f.content.length / partSize), 0)); // each part once
    expect(Math.max(...heldAtPart)).toBeLessThanOrEqual(limit);
    expect(budget.highWater).toBeLessThanOrEqual(limit);
    expect(storage.maxInFlight).toBeGreaterThanOrEqual(2); // parts did go up in parallel
    expect(budget.inUse).toBe(0); // every upload gave its buffers back
  });

  it('streams the parts of a file whose part can never fit the budget, instead of waiting forever', async () => {
    const budget = new MemoryBudget(150 * KiB);
    const storage = new MemoryStorage();
    const uploader = new FileUploader(storage, { partSize: 200 * KiB, multipartThreshold: 200 * KiB, memoryBudget: budget });
    const { path, content } = randomFile('too-big-parts.bin', 500 * KiB);
    await uploader.upload({ localPath: path, bucket, key: 'too-big-parts.bin', journal: new MemoryJournal() });
    expect(storage.object(bucket, 'too-big-parts.bin')?.equals(content)).toBe(true);
    expect(storage.count('UploadPart')).toBe(3);
    expect(budget.highWater).toBe(0);
  });
});
