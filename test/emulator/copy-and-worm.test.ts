import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crc64 } from '../../src/lib/crc64.js';
import { startTestEmulator, type TestEmulator } from '../helpers/emulator.js';

const header = (r: { res: { headers: unknown } }, name: string): string | undefined =>
  (r.res.headers as Record<string, string | undefined>)[name];

describe('emulator: CopyObject, UploadPartCopy and a WORM-locked bucket, through ali-oss', () => {
  let emu: TestEmulator;
  beforeAll(async () => {
    emu = await startTestEmulator();
  });
  afterAll(async () => emu?.stop());

  it('CopyObject copies without a body: same ETag and CRC-64, CopyObjectResult XML, COPY keeps the metadata', async () => {
    const client = emu.client();
    const body = randomBytes(200_000);
    await client.put('copy/src.bin', body, { meta: { mtime: '123' } } as never);
    emu.emulator.requestLog.clear();
    const copied = await client.copy('copy/dst.bin', 'copy/src.bin');
    expect(copied.res.status).toBe(200);
    expect((copied.data as { etag: string }).etag).toMatch(/^"[0-9A-F]{32}"$/);
    expect(header(copied, 'x-oss-hash-crc64ecma')).toBe(crc64(body));
    const entry = emu.emulator.requestLog.entries().find((e) => e.key === 'copy/dst.bin');
    expect(entry).toMatchObject({ operation: 'CopyObject', bytesReceived: 0 });
    const got = await client.get('copy/dst.bin');
    expect(Buffer.compare(got.content as Buffer, body)).toBe(0);
    const head = await client.head('copy/dst.bin');
    expect(head.meta).toEqual({ mtime: '123' });
  });

  it('REPLACE (ali-oss sends it with meta) gives the copy the new metadata', async () => {
    const client = emu.client();
    await client.put('copy/r-src.txt', Buffer.from('hello'), { meta: { mtime: '1' } } as never);
    await client.copy('copy/r-dst.txt', 'copy/r-src.txt', { meta: { mtime: '2' } } as never);
    expect((await client.head('copy/r-dst.txt')).meta).toEqual({ mtime: '2' });
    expect((await client.head('copy/r-src.txt')).meta).toEqual({ mtime: '1' });
  });

  it('a missing source is NoSuchKey', async () => {
    await expect(emu.client().copy('copy/x', 'copy/none')).rejects.toMatchObject({ status: 404, code: 'NoSuchKey' });
  });

  it('UploadPartCopy builds a multipart object from ranges of another; its CRC-64 is the source’s', async () => {
    const client = emu.client();
    const body = randomBytes(300 * 1024);
    await client.put('copy/big-src.bin', body);
    const { uploadId } = await client.initMultipartUpload('copy/big-dst.bin');
    const source = { sourceKey: 'copy/big-src.bin', sourceBucketName: emu.bucket };
    const p1 = await client.uploadPartCopy('copy/big-dst.bin', uploadId, 1, `0-${200 * 1024 - 1}`, source, {});
    const p2 = await client.uploadPartCopy('copy/big-dst.bin', uploadId, 2, `${200 * 1024}-${body.length - 1}`, source, {});
    const done = await client.completeMultipartUpload('copy/big-dst.bin', uploadId, [
      { number: 1, etag: p1.etag },
      { number: 2, etag: p2.etag },
    ]);
    expect(header(done, 'x-oss-hash-crc64ecma')).toBe(crc64(body));
    const got = await client.get('copy/big-dst.bin');
    expect(Buffer.compare(got.content as Buffer, body)).toBe(0);
    const parts = emu.emulator.requestLog.entries().filter((e) => e.operation === 'UploadPartCopy');
    expect(parts.map((e) => e.bytesReceived)).toEqual([0, 0]);
    // ali-oss's own managed copy (HEAD, then UploadPartCopy per part) works too.
    await client.multipartUploadCopy('copy/managed.bin', { ...source, startOffset: 0, endOffset: body.length }, { partSize: 100 * 1024 });
    expect(header(await client.head('copy/managed.bin'), 'x-oss-hash-crc64ecma')).toBe(crc64(body));
  });

  it('a range past the source is InvalidArgument', async () => {
    const client = emu.client();
    await client.put('copy/small.bin', Buffer.alloc(10));
    const { uploadId } = await client.initMultipartUpload('copy/r.bin');
    await expect(
      client.uploadPartCopy('copy/r.bin', uploadId, 1, '0-99', { sourceKey: 'copy/small.bin', sourceBucketName: emu.bucket }, {}),
    ).rejects.toMatchObject({ status: 400, code: 'InvalidArgument' });
  });

  it('a WORM-locked bucket refuses deletes and overwrites (FileImmutable) but takes new keys', async () => {
    const other = await startTestEmulator({ buckets: ['worm-bucket'] });
    try {
      const client = other.client();
      await client.put('kept.txt', Buffer.from('k'));
      const locked = await fetch(`${other.endpoint}/-/worm`, {
        method: 'POST',
        headers: { authorization: `Bearer ${other.adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ bucket: 'worm-bucket' }),
      });
      expect(locked.status).toBe(204);
      await expect(client.delete('kept.txt')).rejects.toMatchObject({ status: 409, code: 'FileImmutable' });
      await expect(client.put('kept.txt', Buffer.from('x'))).rejects.toMatchObject({ status: 409, code: 'FileImmutable' });
      await client.put('new.txt', Buffer.from('n'));
      expect((await client.get('kept.txt')).content.toString()).toBe('k');
    } finally {
      await other.stop();
    }
  });
});
