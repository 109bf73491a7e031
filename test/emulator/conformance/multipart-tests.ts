import type OSS from 'ali-oss';
import { describe, expect, it } from 'vitest';
import { crc64, crc64CombineAll } from '../../../src/lib/crc64.js';
import { bytes, headerOf, listPartsPage, md5Etag, rejection } from './responses.js';
import type { TargetSession } from './target.js';

const KB = 1024;

/** Uploads each buffer as parts 1..n and returns the parts as Complete wants them. */
export async function uploadParts(
  client: OSS,
  name: string,
  uploadId: string,
  parts: Buffer[],
): Promise<Array<{ number: number; etag: string }>> {
  const done = [];
  for (const [i, part] of parts.entries()) {
    const result = await client.uploadPart(name, uploadId, i + 1, part, 0, part.length);
    done.push({ number: i + 1, etag: result.etag });
  }
  return done;
}

/** The SDK sorts and de-duplicates parts itself; an out-of-order Complete needs a raw request. */
function completeInOrder(client: OSS, name: string, uploadId: string, parts: Array<{ number: number; etag: string }>): Promise<unknown> {
  const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<CompleteMultipartUpload>${parts
    .map((p) => `<Part><PartNumber>${p.number}</PartNumber><ETag>${p.etag}</ETag></Part>`)
    .join('')}</CompleteMultipartUpload>`;
  const raw = client as unknown as {
    _objectRequestParams(m: string, n: string, o: object): Record<string, unknown>;
    request(p: object): Promise<unknown>;
  };
  const params = raw._objectRequestParams('POST', name, { subres: { uploadId } });
  return raw.request({ ...params, mime: 'xml', content: Buffer.from(xml), successStatuses: [200] });
}

export function multipartTests(session: () => TargetSession): void {
  const key = (name: string): string => `${session().prefix}multipart/${name}`;

  describe('multipart uploads', () => {
    it('assembles several parts; part and object CRC-64 and content check out', async () => {
      const client = session().client();
      const parts = [bytes(100 * KB, 1), bytes(150 * KB, 2), bytes(33 * KB + 7, 3)];
      const name = key('three-parts.bin');
      const init = await client.initMultipartUpload(name, {
        mime: 'application/x-test',
        meta: { origin: 'suite' } as never,
        headers: { 'x-oss-storage-class': 'IA' },
      });
      expect(init.uploadId).toBeTruthy();
      const done = [];
      for (const [i, part] of parts.entries()) {
        const result = await client.uploadPart(name, init.uploadId, i + 1, part, 0, part.length);
        expect(result.etag).toBe(md5Etag(part));
        expect(headerOf(result, 'x-oss-hash-crc64ecma')).toBe(crc64(part));
        done.push({ number: i + 1, etag: result.etag });
      }
      const complete = await client.completeMultipartUpload(name, init.uploadId, done);
      const whole = Buffer.concat(parts);
      expect(headerOf(complete, 'x-oss-hash-crc64ecma')).toBe(crc64(whole));
      expect(crc64CombineAll(parts.map((p) => ({ crc64: crc64(p), size: p.length })))).toBe(crc64(whole));
      const got = await client.get(name);
      expect(Buffer.compare(got.content as Buffer, whole)).toBe(0);
      expect(headerOf(got, 'x-oss-hash-crc64ecma')).toBe(crc64(whole));
      expect(headerOf(got, 'content-type')).toBe('application/x-test');
      expect(headerOf(got, 'x-oss-meta-origin')).toBe('suite');
      expect(headerOf(got, 'x-oss-object-type')).toBe('Multipart');
      expect(headerOf(got, 'x-oss-storage-class')).toBe('IA');
      for (const [start, end] of [
        [100 * KB - 10, 100 * KB + 9],
        [0, 250 * KB],
        [250 * KB - 1, whole.length - 1],
        [120 * KB, 121 * KB],
      ] as const) {
        const ranged = await client.get(name, { headers: { Range: `bytes=${start}-${end}` } });
        expect(ranged.res.status).toBe(206);
        expect(Buffer.compare(ranged.content as Buffer, whole.subarray(start, end + 1))).toBe(0);
      }
      const head = await client.head(name);
      expect(headerOf(head, 'content-length')).toBe(String(whole.length));
      expect(headerOf(head, 'x-oss-hash-crc64ecma')).toBe(crc64(whole));
      // The upload is gone once completed.
      expect(await rejection(listPartsPage(client, name, init.uploadId))).toMatchObject({ code: 'NoSuchUpload', status: 404 });
    });

    it('lets a part be uploaded again; the last upload counts', async () => {
      const client = session().client();
      const name = key('overwrite.bin');
      const { uploadId } = await client.initMultipartUpload(name);
      await client.uploadPart(name, uploadId, 1, bytes(10, 1), 0, 10);
      const second = await client.uploadPart(name, uploadId, 1, bytes(20, 2), 0, 20);
      const { parts } = await listPartsPage(client, name, uploadId);
      expect(parts).toEqual([{ partNumber: 1, etag: second.etag, size: 20 }]);
      await client.completeMultipartUpload(name, uploadId, [{ number: 1, etag: second.etag }]);
      expect(Buffer.compare((await client.get(name)).content as Buffer, bytes(20, 2))).toBe(0);
    });

    it('keeps one whole part when the same part number is uploaded in parallel', async () => {
      const client = session().client();
      const name = key('contended-part.bin');
      const { uploadId } = await client.initMultipartUpload(name);
      const versions = [1, 2, 3, 4].map((seed) => bytes(120 * KB, seed));
      const results = await Promise.all(versions.map((body) => client.uploadPart(name, uploadId, 1, body, 0, body.length)));
      const { parts } = await listPartsPage(client, name, uploadId);
      expect(parts).toHaveLength(1);
      expect(results.map((r) => r.etag)).toContain(parts[0]!.etag);
      await client.completeMultipartUpload(name, uploadId, [{ number: 1, etag: parts[0]!.etag }]);
      expect(md5Etag((await client.get(name)).content as Buffer)).toBe(parts[0]!.etag);
    });

    it('paginates ListParts', async () => {
      const client = session().client();
      const name = key('list-parts.bin');
      const { uploadId } = await client.initMultipartUpload(name);
      await uploadParts(
        client,
        name,
        uploadId,
        [1, 2, 3, 4, 5].map((n) => bytes(n, n)),
      );
      const numbers: number[] = [];
      let marker: string | undefined;
      let pages = 0;
      for (;;) {
        const page = await listPartsPage(client, name, uploadId, { 'max-parts': 2, ...(marker ? { 'part-number-marker': marker } : {}) });
        pages++;
        numbers.push(...page.parts.map((p) => p.partNumber));
        if (!page.truncated) break;
        marker = page.nextMarker;
      }
      expect(numbers).toEqual([1, 2, 3, 4, 5]);
      expect(pages).toBe(3);
      await client.abortMultipartUpload(name, uploadId);
    });

    it('refuses bad Completes: InvalidPart, EntityTooSmall, InvalidPartOrder', async () => {
      const client = session().client();
      const name = key('bad-complete.bin');
      const { uploadId } = await client.initMultipartUpload(name);
      const parts = await uploadParts(client, name, uploadId, [bytes(100 * KB, 1), bytes(10, 2), bytes(10, 3)]);
      const [p1, p2, p3] = parts as [(typeof parts)[0], (typeof parts)[0], (typeof parts)[0]];
      expect(await rejection(client.completeMultipartUpload(name, uploadId, [{ ...p1, etag: md5Etag(Buffer.from('x')) }]))).toMatchObject({
        code: 'InvalidPart',
        status: 400,
      });
      expect(await rejection(client.completeMultipartUpload(name, uploadId, [p1, { number: 9, etag: p2.etag }]))).toMatchObject({
        code: 'InvalidPart',
        status: 400,
      });
      expect(await rejection(client.completeMultipartUpload(name, uploadId, [p1, p2, p3]))).toMatchObject({
        code: 'EntityTooSmall',
        status: 400,
      });
      expect(await rejection(completeInOrder(client, name, uploadId, [p2, p1]))).toMatchObject({ code: 'InvalidPartOrder', status: 400 });
      // After refusals the upload is intact: 1 big part then one small last part is fine.
      await client.completeMultipartUpload(name, uploadId, [p1, p3]);
      expect(((await client.get(name)).content as Buffer).length).toBe(100 * KB + 10);
    });

    it('aborts with 204; the upload is then NoSuchUpload everywhere', async () => {
      const client = session().client();
      const name = key('aborted.bin');
      const { uploadId } = await client.initMultipartUpload(name);
      await client.uploadPart(name, uploadId, 1, bytes(10), 0, 10);
      const abort = (await client.abortMultipartUpload(name, uploadId)) as unknown as { res: { status: number } };
      expect(abort.res.status).toBe(204);
      expect(await rejection(listPartsPage(client, name, uploadId))).toMatchObject({ code: 'NoSuchUpload', status: 404 });
      expect(await rejection(client.uploadPart(name, uploadId, 2, bytes(10), 0, 10))).toMatchObject({ code: 'NoSuchUpload' });
      expect(await rejection(client.completeMultipartUpload(name, uploadId, [{ number: 1, etag: md5Etag(bytes(10)) }]))).toMatchObject({
        code: 'NoSuchUpload',
      });
      expect(await rejection(client.abortMultipartUpload(name, uploadId))).toMatchObject({ code: 'NoSuchUpload' });
    });

    it('paginates ListMultipartUploads with a prefix', async () => {
      const client = session().client();
      const prefix = key('uploads/');
      const started: Array<{ name: string; uploadId: string }> = [];
      for (const name of ['a', 'b', 'b', 'c']) {
        const init = await client.initMultipartUpload(prefix + name);
        started.push({ name: prefix + name, uploadId: init.uploadId });
      }
      const seen: Array<{ name: string; uploadId: string }> = [];
      let markers: Record<string, string> = {};
      for (let pages = 0; pages < 10; pages++) {
        const page = await client.listUploads({ prefix, 'max-uploads': 3, ...markers }, {});
        seen.push(...page.uploads.map((u) => ({ name: u.name, uploadId: u.uploadId })));
        if (!page.isTruncated) break;
        markers = { 'key-marker': page.nextKeyMarker, 'upload-id-marker': page.nextUploadIdMarker };
      }
      const sortById = (list: typeof seen) => [...list].sort((x, y) => (x.name + x.uploadId).localeCompare(y.name + y.uploadId));
      expect(sortById(seen)).toEqual(sortById(started));
      expect(seen.map((u) => u.name)).toEqual(['a', 'b', 'b', 'c'].map((n) => prefix + n));
      for (const upload of started) await client.abortMultipartUpload(upload.name, upload.uploadId);
      expect((await client.listUploads({ prefix }, {})).uploads).toEqual([]);
    });
  });
}
