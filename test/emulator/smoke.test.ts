import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../src/emulator/index.js';
import { crc64 } from '../../src/lib/crc64.js';
import { startTestEmulator } from '../helpers/emulator.js';
import { headerOf } from './conformance/responses.js';
import type { TestEmulator } from '../helpers/emulator.js';

describe('emulator smoke', () => {
  let env: TestEmulator;
  beforeAll(async () => {
    env = await startTestEmulator();
  });
  afterAll(async () => {
    await env.stop();
  });

  it('refuses a bucket name OSS would refuse, as OSS does (no "_", though ali-oss lets it through)', async () => {
    for (const name of ['my_bucket', 'Upper', '-dash', 'ab']) {
      await expect(
        startEmulator({ dataDir: '/nonexistent', buckets: [name], credentials: [{ accessKeyId: 'id', accessKeySecret: 's' }] }),
      ).rejects.toThrow(
        `invalid bucket name '${name}': 3-63 lowercase letters, digits and '-', starting and ending with a letter or digit`,
      );
    }
  });

  it('can be stopped twice', async () => {
    const other = await startTestEmulator();
    await Promise.all([other.emulator.stop(), other.emulator.stop()]);
    await other.emulator.stop();
    await other.stop();
  });

  it('puts, gets, heads and deletes an object', async () => {
    const client = env.client();
    const body = Buffer.from('hello world');
    const put = await client.put('a/b.txt', body);
    expect(put.res.status).toBe(200);
    expect(headerOf(put, 'x-oss-hash-crc64ecma')).toBe(crc64(body));
    const got = await client.get('a/b.txt');
    expect(Buffer.from(got.content as Buffer).toString()).toBe('hello world');
    const head = await client.head('a/b.txt');
    expect(headerOf(head, 'content-length')).toBe('11');
    const del = await client.delete('a/b.txt');
    expect(del.res.status).toBe(204);
    await expect(client.head('a/b.txt')).rejects.toMatchObject({ code: 'NoSuchKey', status: 404 });
  });

  it('does a multipart upload', async () => {
    const client = env.client();
    const init = await client.initMultipartUpload('big.bin');
    const part1 = Buffer.alloc(100 * 1024, 1);
    const part2 = Buffer.from('tail');
    const p1 = await client.uploadPart('big.bin', init.uploadId, 1, part1, 0, part1.length);
    expect(p1.etag).toMatch(/^"[0-9A-F]{32}"$/);
    const p2 = await client.uploadPart('big.bin', init.uploadId, 2, part2, 0, part2.length);
    const done = await client.completeMultipartUpload('big.bin', init.uploadId, [
      { number: 1, etag: p1.etag },
      { number: 2, etag: p2.etag },
    ]);
    expect(done.res.status).toBe(200);
    const got = await client.get('big.bin');
    expect(headerOf(got, 'x-oss-hash-crc64ecma')).toBe(crc64(Buffer.concat([part1, part2])));
  });
});
