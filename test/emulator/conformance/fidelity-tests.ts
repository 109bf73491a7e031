import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { headerOf, rejection } from './responses.js';
import type { TargetSession } from './target.js';

/** The standard headers an upload sets that OSS keeps with the object (and ali-oss's tests check). */
const STORED = {
  'Content-Disposition': 'attachment; filename="report 2024.txt"',
  'Cache-Control': 'max-age=3600, private',
  'Content-Encoding': 'gzip',
  Expires: 'Wed, 21 Oct 2037 07:28:00 GMT',
};

/** Behaviours ali-oss's own test suite exercises, checked through the real ali-oss client. */
export function fidelityTests(session: () => TargetSession): void {
  const key = (name: string): string => `${session().prefix}fidelity/${name}`;

  describe('fidelity (as ali-oss exercises it)', () => {
    it('keeps Content-Disposition, Cache-Control, Content-Encoding and Expires from PutObject and initiate, for Get and Head', async () => {
      const client = session().client();
      const body = gzipSync(Buffer.from('hello, stored headers'));
      await client.put(key('stored.txt.gz'), body, { headers: STORED });
      const { uploadId } = await client.initMultipartUpload(key('stored-multipart.gz'), { headers: STORED } as never);
      const part = await client.uploadPart(key('stored-multipart.gz'), uploadId, 1, body, 0, body.length);
      await client.completeMultipartUpload(key('stored-multipart.gz'), uploadId, [{ number: 1, etag: part.etag }]);
      for (const name of [key('stored.txt.gz'), key('stored-multipart.gz')]) {
        for (const result of [await client.head(name), await client.get(name)]) {
          for (const [header, value] of Object.entries(STORED))
            expect(headerOf(result, header.toLowerCase()), `${header} of ${name}`).toBe(value);
        }
      }
    });

    it('names the failed condition of a 412 (If-Match, If-Unmodified-Since)', async () => {
      const client = session().client();
      await client.put(key('cond.txt'), Buffer.from('abc'));
      const ifMatch = await rejection(client.get(key('cond.txt'), { headers: { 'If-Match': '"00000000000000000000000000000000"' } }));
      expect(ifMatch).toMatchObject({ status: 412, code: 'PreconditionFailed' });
      // ali-oss appends the error XML's <Condition> to the message.
      expect((ifMatch as Error).message).toContain('(condition: If-Match)');
      const ifUnmodified = await rejection(
        client.get(key('cond.txt'), { headers: { 'If-Unmodified-Since': 'Mon, 01 Jan 2001 00:00:00 GMT' } }),
      );
      expect((ifUnmodified as Error).message).toContain('(condition: If-Unmodified-Since)');
    });

    it('verifies V1 and V4 signatures over a non-ASCII x-oss-meta value as sent (headerEncoding latin1), and returns its bytes', async () => {
      const text = '阿达的大多 é';
      const asSent = Buffer.from(text).toString('latin1'); // what ali-oss puts on the wire, and reads back
      for (const v4 of [false, true]) {
        const client = session().client({
          headerEncoding: 'latin1',
          ...(v4 ? { authorizationV4: true, region: session().region } : {}),
        } as never);
        const name = key(`meta-${v4 ? 'v4' : 'v1'}.txt`);
        expect((await client.put(name, Buffer.from('123'), { meta: { a: text } as never })).res.status).toBe(200);
        const head = await client.head(name);
        expect((head.meta as Record<string, string>).a).toBe(asSent);
        const { uploadId } = await client.initMultipartUpload(key(`meta-${v4 ? 'v4' : 'v1'}-multipart`), { meta: { a: text } } as never);
        await client.abortMultipartUpload(key(`meta-${v4 ? 'v4' : 'v1'}-multipart`), uploadId);
      }
    });

    it('lists one key\'s uploads by upload ID, and upload-id-marker means "after", even for an aborted upload', async () => {
      const client = session().client();
      const name = key('uploads/one-key');
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await client.initMultipartUpload(name)).uploadId);
      const byId = [...ids].sort();
      const listed = await client.listUploads({ prefix: name }, {});
      expect(listed.uploads.map((u) => u.uploadId)).toEqual(byId);

      // The third upload (by ID) is aborted: a marker naming it still leads to the two after it.
      await client.abortMultipartUpload(name, byId[2]!);
      const rest = await client.listUploads({ prefix: name, 'key-marker': name, 'upload-id-marker': byId[2]! }, {});
      expect(rest.uploads.map((u) => u.uploadId)).toEqual(byId.slice(3));
      // Without upload-id-marker, key-marker skips the whole key.
      expect((await client.listUploads({ prefix: name, 'key-marker': name }, {})).uploads).toEqual([]);
      for (const id of [...byId.slice(0, 2), ...byId.slice(3)]) await client.abortMultipartUpload(name, id);
    });
  });
}
