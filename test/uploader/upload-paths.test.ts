import { chmodSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { crc64 } from '../../src/lib/crc64.js';
import { MemoryBudget, type ProgressEvent } from '../../src/uploader/index.js';
import { KiB, useUploaderHarness } from './harness.js';
import { MemoryJournal } from './memory-journal.js';

describe('FileUploader happy paths (real ali-oss, real emulator, real files)', () => {
  const h = useUploaderHarness();

  it('puts a small file in one PutObject, byte for byte, with CRC-64, mtime, mode and the content type of its name', async () => {
    const { path, content } = h.randomFile('small.txt', 60 * KiB);
    chmodSync(path, 0o2640); // recorded whole: restore decides which bits it applies
    const journal = new MemoryJournal();
    const outcome = await h.uploader().upload({ localPath: path, bucket: h.oss.bucket, key: 'small.txt', journal });

    expect(await h.getObject('small.txt')).toEqual(content);
    expect(outcome).toMatchObject({ bucket: h.oss.bucket, key: 'small.txt', size: content.length, crc64: crc64(content) });
    expect(outcome.uploadId).toBeUndefined();
    expect(journal.events).toEqual(['uploaded']);
    const headers = await h.headObject('small.txt');
    expect(headers['x-oss-hash-crc64ecma']).toBe(crc64(content));
    expect(headers['x-oss-meta-mtime']).toBe(statSync(path, { bigint: true }).mtimeNs.toString());
    expect(headers['x-oss-meta-mode']).toBe('2640');
    expect(headers['content-type']).toBe('text/plain'); // ali-oss's guess from the name, as OSS's own tools do
    expect(h.requests('small.txt', 'PutObject')).toHaveLength(1);
  });

  it('streams parts the memory budget cannot hold instead of reading them whole, byte for byte', async () => {
    const { path, content } = h.randomFile('streamed-parts.bin', 1024 * KiB + 999);
    const outcome = await h
      .uploader({ memoryBudget: new MemoryBudget(50 * KiB) })
      .upload({ localPath: path, bucket: h.oss.bucket, key: 'streamed-parts.bin', journal: new MemoryJournal() });
    expect(await h.getObject('streamed-parts.bin')).toEqual(content);
    expect(outcome.crc64).toBe(crc64(content));
    expect(h.partRequests('streamed-parts.bin').length).toBeGreaterThan(1);
  });

  it('uploads an empty file', async () => {
    const path = h.writeFile('empty.txt', Buffer.alloc(0));
    const outcome = await h.uploader().upload({ localPath: path, bucket: h.oss.bucket, key: 'empty.txt', journal: new MemoryJournal() });
    expect(await h.getObject('empty.txt')).toEqual(Buffer.alloc(0));
    expect(outcome).toMatchObject({ size: 0, crc64: '0' });
  });

  it('uploads a large file in parallel parts, verified by CRC-64, reporting progress', async () => {
    const { path, content } = h.randomFile('big.bin', 1024 * KiB + 12_345);
    const journal = new MemoryJournal();
    const uploader = h.uploader({ partConcurrency: 3 });
    const progress: ProgressEvent[] = [];
    uploader.on('progress', (e) => progress.push(e));
    const outcome = await uploader.upload({ localPath: path, bucket: h.oss.bucket, key: 'big.bin', journal });

    expect(await h.getObject('big.bin')).toEqual(content);
    expect(outcome.crc64).toBe(crc64(content));
    expect(outcome.uploadId).toBeDefined();
    expect((await h.headObject('big.bin'))['x-oss-hash-crc64ecma']).toBe(crc64(content));
    expect(h.partRequests('big.bin').sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(journal.upload).toBeUndefined(); // forgotten with the file marked done
    expect(journal.events.filter((e) => e.startsWith('part'))).toHaveLength(11);
    expect(progress.at(-1)).toMatchObject({ bytesDone: content.length, bytesTotal: content.length, key: 'big.bin' });
    const done = progress.map((e) => e.bytesDone);
    expect(done).toEqual([...done].sort((a, b) => a - b));
  });

  it.each([1, 4])('uploads byte for byte with %i parts in parallel, each part sent once', async (partConcurrency) => {
    const name = `lanes-${partConcurrency}.bin`;
    const { path, content } = h.randomFile(name, 750 * KiB + 77);
    const outcome = await h
      .uploader({ partConcurrency })
      .upload({ localPath: path, bucket: h.oss.bucket, key: name, journal: new MemoryJournal() });
    expect(await h.getObject(name)).toEqual(content);
    expect(outcome.crc64).toBe(crc64(content));
    expect(h.partRequests(name).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('cuts a file exactly on a part boundary into full parts only', async () => {
    const { path, content } = h.randomFile('boundary.bin', 5 * 100 * KiB);
    const journal = new MemoryJournal();
    await h.uploader().upload({ localPath: path, bucket: h.oss.bucket, key: 'boundary.bin', journal });
    expect(await h.getObject('boundary.bin')).toEqual(content);
    expect(h.requests('boundary.bin', 'UploadPart').map((e) => e.bytesReceived)).toEqual(Array(5).fill(100 * KiB));
  });

  it('uses the request part size for a new upload', async () => {
    const { path, content } = h.randomFile('partsize.bin', 600 * KiB);
    const journal = new MemoryJournal();
    await h.uploader().upload({ localPath: path, bucket: h.oss.bucket, key: 'partsize.bin', journal, partSize: 200 * KiB });
    expect(await h.getObject('partsize.bin')).toEqual(content);
    expect(h.partRequests('partsize.bin')).toHaveLength(3);
  });
});
