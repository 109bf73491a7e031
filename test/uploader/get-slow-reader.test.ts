/**
 * get() fails a body that stops arriving (restore-through-proxies.test.ts), but a reader that is
 * only slow (a busy disk behind a restore) must never be failed for it: the body waits for it.
 * The watchdog's polls run on fake intervals, so the test says when time passes, to the poll: what
 * is tested is time passing with nobody reading, not how busy the machine is (a loaded CI box once
 * failed a reader here the moment it caught up).
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { Readable } from 'node:stream';
import { afterEach, expect, it, vi } from 'vitest';
import { createOssStorage } from '../../src/uploader/index.js';
import { listenOnLoopback } from '../helpers/loopback-server.js';
import { startTestEmulator } from '../helpers/emulator.js';
import { waitFor } from '../helpers/wait.js';

const TIMEOUT_MS = 1000;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The download's body, its reader away: its buffer fills to the limit (or holds `bytes`) while no poll has run. */
async function bufferedUnread(stream: Readable, bytes = stream.readableHighWaterMark): Promise<() => unknown> {
  let failed: unknown;
  stream.once('error', (err) => (failed = err));
  await waitFor(() => stream.readableLength >= Math.max(bytes, stream.readableHighWaterMark), {
    what: 'the body buffered up to its limit',
  });
  return () => failed;
}

it('a body left unread for many times the timeout is still whole when its reader comes back', async () => {
  const emu = await startTestEmulator();
  cleanups.push(() => emu.stop());
  const body = randomBytes(8 * 1024 * 1024); // more than the socket and the stream buffer hold
  await emu.client().put('slow.bin', body);
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
  const storage = createOssStorage({ endpoint: emu.endpoint, accessKeyId: emu.accessKeyId, accessKeySecret: emu.accessKeySecret });
  const download = await storage.get({ bucket: emu.bucket, key: 'slow.bin' }, { timeoutMs: TIMEOUT_MS });
  const failed = await bufferedUnread(download.stream);
  vi.advanceTimersByTime(10 * TIMEOUT_MS);
  const chunks: Buffer[] = [];
  for await (const chunk of download.stream) chunks.push(chunk as Buffer);
  expect(failed()).toBeUndefined();
  expect(Buffer.concat(chunks).equals(body)).toBe(true);
});

it('a reader that catches up is given the whole timeout for the next byte', async () => {
  // More than the stream's buffer holds (the reader is behind) yet one read of the socket: when the
  // reader catches up, no byte sent is left unread below it.
  const half = randomBytes(20 * 1024);
  const rest = randomBytes(20 * 1024);
  let sendRest!: () => void;
  const restAsked = new Promise<void>((resolve) => (sendRest = resolve));
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-length': String(half.length + rest.length) });
    res.write(half);
    void restAsked.then(() => res.end(rest));
  });
  const { url, close } = await listenOnLoopback(server);
  cleanups.push(close);
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
  const storage = createOssStorage({ endpoint: url, accessKeyId: 'id', accessKeySecret: 'secret' });
  const download = await storage.get({ bucket: 'bucket', key: 'held.bin' }, { timeoutMs: TIMEOUT_MS });
  const failed = await bufferedUnread(download.stream, half.length);
  vi.advanceTimersByTime(3 * TIMEOUT_MS); // behind for three timeouts: every poll sees it behind
  const reader = download.stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const chunks: Buffer[] = [];
  let got = 0;
  while (got < half.length) {
    const { value } = await reader.next();
    chunks.push(value);
    got += value.length;
  }
  // Caught up, all that was sent is read (the fake clock stood still meanwhile): the next byte comes
  // one timeout after the last poll that saw the reader behind.
  vi.advanceTimersByTime(TIMEOUT_MS);
  sendRest();
  for (let next = await reader.next(); !next.done; next = await reader.next()) chunks.push(next.value);
  expect(failed()).toBeUndefined();
  expect(Buffer.concat(chunks).equals(Buffer.concat([half, rest]))).toBe(true);
});
