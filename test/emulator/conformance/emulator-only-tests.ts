import { createHash } from 'node:crypto';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { TEMP_DIR_NAME } from '../../../src/emulator/index.js';
import { Crc64, crc64 } from '../../../src/lib/crc64.js';
import { waitFor } from '../../helpers/wait.js';
import type { TestEmulator } from '../../helpers/emulator.js';
import { uploadParts } from './multipart-tests.js';
import { bytes, headerOf, listPartsPage, rejection } from './responses.js';
import type { TargetSession } from './target.js';

const KB = 1024;

/** Checks that need the emulator itself: restart, faults, request log, path-style addressing. */
export function emulatorOnlyTests(session: () => TargetSession): void {
  const key = (name: string): string => `${session().prefix}emulator/${name}`;
  const emulator = (): TestEmulator => session().emulator!;

  describe('emulator only', () => {
    it('keeps objects and an in-progress multipart upload across a restart', async () => {
      const name = key('restart.bin');
      const parts = [bytes(100 * KB, 1), bytes(100 * KB, 2), bytes(5 * KB, 3)];
      let client = session().client();
      await client.put(key('kept.txt'), Buffer.from('kept'));
      const { uploadId } = await client.initMultipartUpload(name);
      const first = await uploadParts(client, name, uploadId, parts.slice(0, 1));

      await emulator().restart();
      client = session().client();
      expect((await client.get(key('kept.txt'))).content.toString()).toBe('kept');
      const listed = await client.listUploads({ prefix: name }, {});
      expect(listed.uploads.map((u) => u.uploadId)).toEqual([uploadId]);
      const rest = [];
      for (const [i, part] of parts.slice(1).entries()) {
        const result = await client.uploadPart(name, uploadId, i + 2, part, 0, part.length);
        rest.push({ number: i + 2, etag: result.etag });
      }
      expect((await listPartsPage(client, name, uploadId)).parts).toHaveLength(3);
      const done = await client.completeMultipartUpload(name, uploadId, [...first, ...rest]);
      const whole = Buffer.concat(parts);
      expect(headerOf(done, 'x-oss-hash-crc64ecma')).toBe(crc64(whole));
      await emulator().restart();
      expect(Buffer.compare((await session().client().get(name)).content as Buffer, whole)).toBe(0);
    });

    it('streams a large body to disk without holding it in memory', async () => {
      const client = session().client({ timeout: 120_000 });
      const chunk = bytes(1024 * KB, 9);
      const chunks = 256; // 256 MiB
      const expectedCrc = new Crc64();
      for (let i = 0; i < chunks; i++) expectedCrc.update(chunk);
      const baseline = process.memoryUsage().rss;
      let peak = baseline;
      const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
      try {
        const body = Readable.from(
          (function* () {
            for (let i = 0; i < chunks; i++) yield chunk;
          })(),
        );
        const result = await client.putStream(key('large.bin'), body, { contentLength: chunks * chunk.length } as never);
        expect(headerOf(result, 'x-oss-hash-crc64ecma')).toBe(expectedCrc.digest());
      } finally {
        clearInterval(sampler);
      }
      // Client and server share this process: a buffered body would add 256 MiB.
      expect(peak - baseline).toBeLessThan(128 * 1024 * KB);
      await client.delete(key('large.bin'));
    });

    it('serves path-style requests (localhost + sldEnable)', async () => {
      const client = session().client({ endpoint: `http://localhost:${emulator().emulator.port}`, sldEnable: true });
      await client.put(key('path style.txt'), Buffer.from('ps'));
      expect((await client.get(key('path style.txt'))).content.toString()).toBe('ps');
      expect((await client.list({ prefix: key('path style'), 'max-keys': 5 }, {})).objects).toHaveLength(1);
      const v4 = session().client({
        endpoint: `http://localhost:${emulator().emulator.port}`,
        sldEnable: true,
        authorizationV4: true,
        region: 'oss-cn-hangzhou',
      });
      expect((await v4.get(key('path style.txt'))).content.toString()).toBe('ps');
    });

    it('accepts presigned URLs (signatureUrl) for GET and PUT, and refuses expired or forged ones', async () => {
      const client = session().client({ endpoint: `http://localhost:${emulator().emulator.port}`, sldEnable: true });
      const name = key('presigned a+b.txt');
      await client.put(name, Buffer.from('shared'));
      const getUrl = client.signatureUrl(name, { expires: 60 });
      const got = await fetch(getUrl);
      expect(got.status).toBe(200);
      expect(await got.text()).toBe('shared');

      const putUrl = client.signatureUrl(name, { method: 'PUT', expires: 60, 'Content-Type': 'text/plain' } as never);
      const put = await fetch(putUrl, { method: 'PUT', body: 'replaced', headers: { 'Content-Type': 'text/plain' } });
      expect(put.status).toBe(200);
      expect((await client.get(name)).content.toString()).toBe('replaced');

      const forged = await fetch(getUrl.replace(/Signature=[^&]+/, 'Signature=AAAA'));
      expect(forged.status).toBe(403);
      expect(await forged.text()).toContain('<Code>SignatureDoesNotMatch</Code>');
      const expired = await fetch(client.signatureUrl(name, { expires: -10 }));
      expect(expired.status).toBe(403);
      expect(await expired.text()).toContain('<Code>AccessDenied</Code>');
    });

    it('fails the Nth matching request with an injected error, `times` times', async () => {
      const client = session().client();
      emulator().emulator.faults.add({
        match: { operation: 'PutObject', key: { glob: '*fault-error*' } },
        nth: 2,
        times: 2,
        action: { type: 'error', status: 503, code: 'SlowDown' },
      });
      await client.put(key('fault-error-1'), Buffer.from('1'));
      expect(await rejection(client.put(key('fault-error-2'), Buffer.from('2')))).toMatchObject({ code: 'SlowDown', status: 503 });
      expect(await rejection(client.put(key('fault-error-3'), Buffer.from('3')))).toMatchObject({ code: 'SlowDown', status: 503 });
      await client.put(key('fault-error-4'), Buffer.from('4'));
      await client.put(key('fault-error-2'), Buffer.from('2'));
    });

    it('resets the connection mid-part; the partial part never becomes visible', async () => {
      const client = session().client();
      const name = key('reset.bin');
      const { uploadId } = await client.initMultipartUpload(name);
      emulator().emulator.faults.add({ match: { operation: 'UploadPart', partNumber: 1 }, action: { type: 'reset', afterBytes: 64 * KB } });
      const err = await rejection(client.uploadPart(name, uploadId, 1, bytes(512 * KB), 0, 512 * KB));
      expect(err.code).not.toBe('SlowDown');
      expect((await listPartsPage(client, name, uploadId)).parts).toEqual([]);
      const entry = await waitFor(
        () =>
          emulator()
            .emulator.requestLog.entries()
            .find((e) => e.uploadId === uploadId && e.operation === 'UploadPart'),
        { what: 'the reset request in the log' },
      );
      expect(entry.status).toBe(0);
      expect(entry.bytesReceived).toBeGreaterThanOrEqual(64 * KB);
      expect(entry.bytesReceived).toBeLessThan(512 * KB);
      await client.abortMultipartUpload(name, uploadId);
    });

    it('resets a PutObject mid-body; no object and no temp file are left', async () => {
      const client = session().client();
      emulator().emulator.faults.add({
        match: { method: 'PUT', key: key('reset-put.bin') },
        action: { type: 'reset', afterBytes: 100 * KB },
      });
      expect((await rejection(client.put(key('reset-put.bin'), bytes(1024 * KB)))).code).not.toBe('SlowDown');
      expect(await rejection(client.head(key('reset-put.bin')))).toMatchObject({ code: 'NoSuchKey' });
      await waitFor(() => readdirSync(join(emulator().dataDir, TEMP_DIR_NAME)).length === 0, { what: 'an empty temp dir' });
      await client.put(key('reset-put.bin'), bytes(10)); // the rule fired once and is gone
    });

    it('drops the temp file of a body the client abandons halfway', async () => {
      const client = session().client();
      const name = key('abandoned.bin');
      const tempFiles = (): string[] => readdirSync(join(emulator().dataDir, TEMP_DIR_NAME));
      const body = new PassThrough();
      const put = rejection(client.putStream(name, body));
      body.write(bytes(200 * KB));
      await waitFor(() => tempFiles().length === 1, { what: 'the body arriving in a temp file' });
      body.destroy(new Error('the sender gave up'));
      await put;
      const entry = await waitFor(
        () =>
          emulator()
            .emulator.requestLog.entries()
            .find((e) => e.key === name),
        { what: 'the abandoned put in the log' },
      );
      expect(entry.status).toBe(0);
      expect(entry.bytesReceived).toBeGreaterThan(0);
      await waitFor(() => tempFiles().length === 0, { what: 'an empty temp dir' });
      expect(await rejection(client.head(name))).toMatchObject({ code: 'NoSuchKey' });
    });

    it('clears temp files on start', async () => {
      const stray = join(emulator().dataDir, TEMP_DIR_NAME, 'mj0abc12-0123456789ab.part');
      writeFileSync(stray, 'half a body');
      await emulator().restart();
      expect(existsSync(stray)).toBe(false);
    });

    it('forgets an upload ID on demand (NoSuchUpload)', async () => {
      const client = session().client();
      const name = key('forget.bin');
      const { uploadId } = await client.initMultipartUpload(name);
      emulator().emulator.faults.add({ match: { operation: 'UploadPart' }, action: { type: 'forgetUpload' } });
      expect(await rejection(client.uploadPart(name, uploadId, 1, bytes(10), 0, 10))).toMatchObject({ code: 'NoSuchUpload', status: 404 });
      expect(await rejection(listPartsPage(client, name, uploadId))).toMatchObject({ code: 'NoSuchUpload' });
    });

    it('adds latency and throttles request bodies', async () => {
      const client = session().client();
      emulator().emulator.faults.add({ match: { operation: 'HeadObject' }, action: { type: 'latency', ms: 300 } });
      await client.put(key('slow.txt'), Buffer.from('slow'));
      let started = Date.now();
      await client.head(key('slow.txt'));
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);

      emulator().emulator.faults.add({
        match: { operation: 'PutObject', key: key('throttled.bin') },
        action: { type: 'throttle', bytesPerSecond: 256 * KB },
      });
      started = Date.now();
      await client.put(key('throttled.bin'), bytes(128 * KB));
      expect(Date.now() - started).toBeGreaterThanOrEqual(450); // 128 KiB at 256 KiB/s
    });

    it('damages a body on the wire: refused with Content-MD5, stored damaged (with its own ETag) without', async () => {
      const client = session().client();
      const body = bytes(100 * KB, 7);
      const damaged = Buffer.from(body);
      damaged[70 * KB]! ^= 0xff;
      const faults = emulator().emulator.faults;
      faults.add({ match: { operation: 'PutObject', key: key('damaged-md5.bin') }, action: { type: 'corrupt', atByte: 70 * KB } });
      expect(await rejection(client.put(key('damaged-md5.bin'), body))).toMatchObject({ code: 'InvalidDigest', status: 400 });

      const name = key('damaged-part.bin');
      const { uploadId } = await client.initMultipartUpload(name);
      faults.add({ match: { operation: 'UploadPart', key: name }, action: { type: 'corrupt', atByte: 70 * KB } });
      const stored = await client.uploadPart(name, uploadId, 1, body, 0, body.length);
      expect(stored.etag.replace(/"/g, '')).toBe(createHash('md5').update(damaged).digest('hex').toUpperCase());
      await client.abortMultipartUpload(name, uploadId);
    });

    it('logs what it received: operation, key, part, upload id, bytes and status', async () => {
      const client = session().client();
      const log = emulator().emulator.requestLog;
      log.clear();
      const name = key('logged.bin');
      const { uploadId } = await client.initMultipartUpload(name);
      await client.uploadPart(name, uploadId, 1, bytes(1000), 0, 1000);
      await rejection(client.get(key('not-there')));
      // Logged before the answer leaves: no waiting needed once the call has returned.
      const entries = log.entries();
      expect(entries.map((e) => e.operation)).toEqual(['InitiateMultipartUpload', 'UploadPart', 'GetObject']);
      expect(entries[1]).toMatchObject({
        method: 'PUT',
        key: name,
        partNumber: 1,
        uploadId,
        bytesReceived: 1000,
        status: 200,
        bucket: session().bucket,
      });
      expect(entries[1]!.query).toMatchObject({ partNumber: '1', uploadId });
      expect(entries[2]).toMatchObject({ status: 404, code: 'NoSuchKey' });
      await client.abortMultipartUpload(name, uploadId);
    });

    it('answers 501 NotImplemented for sub-resources it does not implement, and leaves the object alone', async () => {
      const client = session().client() as unknown as Record<string, (...args: unknown[]) => Promise<unknown>> &
        ReturnType<TargetSession['client']>;
      const name = key('sub-resources.txt');
      await client.put(name, Buffer.from('keep me'));
      // PUT ?acl once replaced the object with an empty body, DELETE ?tagging deleted it, GET ?symlink read it.
      expect(await rejection(client.putACL(name, 'private'))).toMatchObject({ status: 501, code: 'NotImplemented' });
      expect(await rejection(client.putObjectTagging!(name, { a: '1' }))).toMatchObject({ status: 501, code: 'NotImplemented' });
      expect(await rejection(client.deleteObjectTagging!(name))).toMatchObject({ status: 501, code: 'NotImplemented' });
      expect(await rejection(client.getSymlink!(name))).toMatchObject({ status: 501, code: 'NotImplemented' });
      expect((await client.get(name)).content.toString()).toBe('keep me');
    });

    it('answers a PUT with both Content-Length and chunked encoding with an OSS error document', async () => {
      const socket = connect(emulator().emulator.port, '127.0.0.1');
      let answer = '';
      socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
      const closed = new Promise((resolve) => socket.once('close', resolve));
      socket.write(
        `PUT /${session().bucket}/${key('both-lengths')} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n`,
      );
      await closed;
      expect(answer).toMatch(/^HTTP\/1\.1 400 /);
      expect(answer).toMatch(/\r\ncontent-type: application\/xml\r\n/i);
      expect(answer).toMatch(/\r\nx-oss-request-id: [0-9A-F]{24}\r\n/i);
      expect(answer).toContain('<Error><Code>InvalidArgument</Code>');
      expect(answer).toContain('<RequestId>');
    });

    it('takes faults and serves the request log over the admin endpoint', async () => {
      const { endpoint } = emulator().emulator;
      const admin = { authorization: `Bearer ${emulator().adminToken}` };
      const json = { ...admin, 'content-type': 'application/json' };
      const client = session().client();
      const post = await fetch(`${endpoint}/-/faults`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify({
          match: { operation: 'GetObject', key: { glob: '*admin-fault' } },
          times: 'Infinity',
          action: { type: 'error', status: 500, code: 'InternalError' },
        }),
      });
      expect(post.status).toBe(201);
      await client.put(key('admin-fault'), Buffer.from('x'));
      expect(await rejection(client.get(key('admin-fault')))).toMatchObject({ code: 'InternalError', status: 500 });
      expect(await rejection(client.get(key('admin-fault')))).toMatchObject({ code: 'InternalError', status: 500 });
      expect((await fetch(`${endpoint}/-/faults`, { method: 'DELETE', headers: admin })).status).toBe(204);
      await client.get(key('admin-fault'));

      const statuses = async (): Promise<number[]> => {
        const entries = (await (await fetch(`${endpoint}/-/requests`, { headers: admin })).json()) as Array<{
          key?: string;
          status: number;
        }>;
        return entries.filter((e) => e.key === key('admin-fault')).map((e) => e.status);
      };
      expect(await statuses()).toEqual([200, 500, 500, 200]);
      expect((await fetch(`${endpoint}/-/requests`, { method: 'DELETE', headers: admin })).status).toBe(204);
      expect(await (await fetch(`${endpoint}/-/requests`, { headers: admin })).json()).toEqual([]);
      const bad = await fetch(`${endpoint}/-/faults`, { method: 'POST', headers: json, body: '{"action":{"type":"explode"}}' });
      expect(bad.status).toBe(400);
    });
  });
}
