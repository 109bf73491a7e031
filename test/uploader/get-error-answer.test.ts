/**
 * A GET refused by something on the way (a proxy's error page) whose body is endless or stalls:
 * get() reads an error answer's body to name the OSS code, and that read must neither hold the GET
 * for ever nor outlive the caller's abort.
 */
import { createServer, type ServerResponse } from 'node:http';
import { listenOnLoopback } from '../helpers/loopback-server.js';
import { afterEach, describe, expect, it } from 'vitest';
import { createOssStorage } from '../../src/uploader/index.js';
import { waitFor } from '../helpers/wait.js';

/** An endpoint answering every request `status` (403 unless given) with `send` writing the body. */
async function refusingEndpoint(send: (res: ServerResponse) => void, status = 403) {
  const server = createServer((req, res) => {
    req.resume();
    res.writeHead(status, { 'content-type': 'text/html', 'x-oss-request-id': 'proxy' });
    send(res);
  });
  const { url, close } = await listenOnLoopback(server);
  return { endpoint: url, close };
}

describe('GetObject refused with an error body that never ends', () => {
  let closeServer: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await closeServer?.();
    closeServer = undefined;
  });

  const storageAt = (endpoint: string) => createOssStorage({ endpoint, accessKeyId: 'id', accessKeySecret: 'secret' });

  it('an endless error page: get() fails naming the status after reading a bounded part of it, and drops the connection', async () => {
    let sent = 0;
    let closed = false;
    const chunk = Buffer.alloc(16 * 1024, 'x');
    const server = await refusingEndpoint((res) => {
      res.once('close', () => (closed = true));
      const pump = (): void => {
        while (!closed && res.write(chunk)) sent += chunk.length;
        if (!closed) res.once('drain', pump);
      };
      pump();
    });
    closeServer = server.close;
    let outcome: unknown;
    void storageAt(server.endpoint)
      .get({ bucket: 'test-bucket', key: 'endless.txt' })
      .then(
        () => (outcome = 'resolved'),
        (err: unknown) => (outcome = err),
      );
    await waitFor(() => outcome !== undefined, { what: 'get() to give up on the endless error body' });
    expect(outcome).toMatchObject({ status: 403, key: 'endless.txt' });
    await waitFor(() => closed, { what: 'the connection dropped' });
    // Bounded by what the socket buffers held when the read stopped, not by the page's length.
    expect(sent).toBeLessThan(64 * 1024 * 1024);
  });

  // 403 is an answer OSS gives (its XML is read); 502 and 504 come only from a proxy on the way.
  it.each([403, 502, 504])(
    'aborted while a stalled error body (%i) is read: get() rejects at once and the connection is closed',
    async (status) => {
      let started = false;
      let closed = false;
      const server = await refusingEndpoint((res) => {
        res.once('close', () => (closed = true));
        res.write('<?xml version="1.0" encoding="UTF-8"?><Error><Code>Acc'); // and then nothing more
        started = true;
      }, status);
      closeServer = server.close;
      const abort = new AbortController();
      let outcome: unknown;
      void storageAt(server.endpoint)
        .get({ bucket: 'test-bucket', key: 'stalled.txt' }, { signal: abort.signal })
        .then(
          () => (outcome = 'resolved'),
          (err: unknown) => (outcome = err),
        );
      await waitFor(() => started, { what: 'the error body started' });
      abort.abort(new Error('restore interrupted'));
      await waitFor(() => outcome !== undefined, { what: 'get() to end once aborted' });
      expect(outcome).toBeInstanceOf(Error);
      expect(outcome).not.toBe('resolved');
      await waitFor(() => closed, { what: 'the connection closed' });
    },
  );
});
