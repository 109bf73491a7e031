import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { crc64 } from '../../../src/lib/crc64.js';
import { bytes, headerOf, md5Etag, rejection } from './responses.js';
import type { TargetSession } from './target.js';

const AWKWARD_KEYS = [
  'unicode/日本語-ß-é.txt',
  'space/a b  c.txt',
  'plus/a+b.txt',
  'hash/a#b.txt',
  'question/a?b.txt',
  'percent/100%25%.txt',
  'mixed/ +#?%&=;,.txt',
  'emoji/🙂.bin',
];

export function objectTests(session: () => TargetSession): void {
  const key = (name: string): string => `${session().prefix}objects/${name}`;

  describe('objects', () => {
    it('PutObject answers ETag (quoted uppercase MD5) and CRC-64; Get and Head agree', async () => {
      const client = session().client();
      const body = bytes(3000);
      const put = await client.put(key('plain.bin'), body);
      expect(put.res.status).toBe(200);
      expect(headerOf(put, 'etag')).toBe(md5Etag(body));
      expect(headerOf(put, 'x-oss-hash-crc64ecma')).toBe(crc64(body));

      const got = await client.get(key('plain.bin'));
      expect(Buffer.compare(got.content as Buffer, body)).toBe(0);
      expect(headerOf(got, 'x-oss-hash-crc64ecma')).toBe(crc64(body));
      expect(headerOf(got, 'etag')).toBe(md5Etag(body));

      const head = await client.head(key('plain.bin'));
      expect(headerOf(head, 'content-length')).toBe('3000');
      expect(headerOf(head, 'x-oss-hash-crc64ecma')).toBe(crc64(body));
      expect(headerOf(head, 'last-modified')).toMatch(/GMT$/);
    });

    it('stores 0-byte objects', async () => {
      const client = session().client();
      const put = await client.put(key('empty'), Buffer.alloc(0));
      expect(headerOf(put, 'x-oss-hash-crc64ecma')).toBe('0');
      const got = await client.get(key('empty'));
      expect((got.content as Buffer).length).toBe(0);
      const head = await client.head(key('empty'));
      expect(headerOf(head, 'content-length')).toBe('0');
      expect(headerOf(head, 'etag')).toBe('"D41D8CD98F00B204E9800998ECF8427E"');
    });

    it('streams a body of unknown length (chunked) and overwrites', async () => {
      const client = session().client();
      const first = bytes(200_000, 7);
      await client.put(key('streamed.bin'), Buffer.from('old'));
      const put = await client.putStream(key('streamed.bin'), Readable.from([first.subarray(0, 70_000), first.subarray(70_000)]));
      expect(headerOf(put, 'x-oss-hash-crc64ecma')).toBe(crc64(first));
      const got = await client.get(key('streamed.bin'));
      expect(Buffer.compare(got.content as Buffer, first)).toBe(0);
    });

    it.each(AWKWARD_KEYS)('round-trips the key %j through put, head, get, list and delete', async (name) => {
      const client = session().client();
      const full = key(name);
      await client.put(full, Buffer.from(name));
      await client.head(full);
      expect((await client.get(full)).content.toString()).toBe(name);
      const listed = await client.list({ prefix: full, 'max-keys': 10 }, {});
      expect(listed.objects.map((o) => o.name)).toEqual([full]);
      const listedV2 = await client.listV2({ prefix: full, 'max-keys': '10' }, {});
      expect(listedV2.objects.map((o) => o.name)).toEqual([full]);
      await client.delete(full);
      expect(await rejection(client.head(full))).toMatchObject({ code: 'NoSuchKey', status: 404 });
    });

    it('keeps user metadata and content type', async () => {
      const client = session().client();
      await client.put(key('meta.json'), Buffer.from('{}'), { meta: { color: 'blue', count: 3 } as never });
      const head = await client.head(key('meta.json'));
      expect(head.meta).toMatchObject({ color: 'blue', count: '3' });
      expect(headerOf(head, 'content-type')).toBe('application/json');
      const got = await client.get(key('meta.json'));
      expect(headerOf(got, 'x-oss-meta-color')).toBe('blue');
    });

    it('keeps the storage class; an Archive object needs a restore before GetObject', async () => {
      const client = session().client();
      await client.put(key('ia.txt'), Buffer.from('ia'), { headers: { 'x-oss-storage-class': 'IA' } });
      expect(headerOf(await client.head(key('ia.txt')), 'x-oss-storage-class')).toBe('IA');
      expect((await client.get(key('ia.txt'))).content.toString()).toBe('ia');
      const listed = await client.list({ prefix: key('ia.txt'), 'max-keys': 1 }, {});
      expect(listed.objects[0]!.storageClass).toBe('IA');

      await client.put(key('archive.txt'), Buffer.from('cold'), { headers: { 'x-oss-storage-class': 'Archive' } });
      expect(headerOf(await client.head(key('archive.txt')), 'x-oss-storage-class')).toBe('Archive');
      expect(await rejection(client.get(key('archive.txt')))).toMatchObject({ code: 'InvalidObjectState', status: 403 });
      await client.delete(key('archive.txt'));
      const invalid = client.put(key('bad-class.txt'), Buffer.from('x'), { headers: { 'x-oss-storage-class': 'Glacier' } });
      expect(await rejection(invalid)).toMatchObject({ status: 400 });
    });

    it('serves byte ranges the way OSS does', async () => {
      const client = session().client();
      const body = Buffer.from('0123456789');
      await client.put(key('range.txt'), body);
      const range = async (value: string, standard = false) => {
        const headers: Record<string, string> = { Range: value };
        if (standard) headers['x-oss-range-behavior'] = 'standard';
        const result = await client.get(key('range.txt'), { headers });
        return { status: result.res.status, text: (result.content as Buffer).toString(), contentRange: headerOf(result, 'content-range') };
      };
      expect(await range('bytes=2-5')).toEqual({ status: 206, text: '2345', contentRange: 'bytes 2-5/10' });
      expect(await range('bytes=7-')).toMatchObject({ status: 206, text: '789' });
      expect(await range('bytes=-3')).toMatchObject({ status: 206, text: '789' });
      // Out of range without the standard behaviour: the whole object, 200.
      expect(await range('bytes=5-20')).toMatchObject({ status: 200, text: '0123456789' });
      expect(await range('bytes=10-20')).toMatchObject({ status: 200, text: '0123456789' });
      expect(await range('bytes=5-20', true)).toMatchObject({ status: 206, text: '56789' });
      expect(await rejection(range('bytes=10-20', true))).toMatchObject({ code: 'InvalidRange', status: 416 });
    });

    it('answers NoSuchKey with a request id for Get and Head, and 204 for deleting a missing key', async () => {
      const client = session().client();
      const get = await rejection(client.get(key('missing')));
      expect(get).toMatchObject({ code: 'NoSuchKey', status: 404 });
      expect(get.requestId).toMatch(/^[0-9A-F]{24}$/);
      expect(await rejection(client.head(key('missing')))).toMatchObject({ code: 'NoSuchKey', status: 404 });
      const deleted = await client.delete(key('missing'));
      expect(deleted.res.status).toBe(204);
    });

    it('rejects a body whose Content-MD5 does not match with InvalidDigest', async () => {
      const client = session().client();
      const wrongMd5 = Buffer.alloc(16).toString('base64');
      const err = await rejection(client.put(key('digest.txt'), Buffer.from('abc'), { headers: { 'Content-MD5': wrongMd5 } }));
      expect(err).toMatchObject({ code: 'InvalidDigest', status: 400 });
      expect(await rejection(client.head(key('digest.txt')))).toMatchObject({ code: 'NoSuchKey' });
    });

    it('keeps one whole version when the same key is written in parallel', async () => {
      const client = session().client();
      const versions = [1, 2, 3, 4, 5, 6].map((seed) => bytes(150_000, seed));
      await Promise.all(versions.map((body) => client.put(key('contended.bin'), body)));
      const got = (await client.get(key('contended.bin'))).content as Buffer;
      expect(versions.some((v) => Buffer.compare(v, got) === 0)).toBe(true);
    });

    it('answers conditional gets', async () => {
      const client = session().client();
      const put = await client.put(key('cond.txt'), Buffer.from('abc'));
      const notModified = await client.get(key('cond.txt'), { headers: { 'If-None-Match': headerOf(put, 'etag')! } });
      expect(notModified.res.status).toBe(304);
      expect(await rejection(client.get(key('cond.txt'), { headers: { 'If-Match': '"0000"' } }))).toMatchObject({ status: 412 });
    });
  });
}
