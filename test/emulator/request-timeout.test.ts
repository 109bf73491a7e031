/**
 * A client that stops sending its body is timed out as OSS does it (400 RequestTimeout), and a flood
 * of connections is capped, so one stuck or hostile client cannot hold the emulator for ever.
 */
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestEmulator } from '../helpers/emulator.js';
import type { TestEmulator } from '../helpers/emulator.js';
import { waitFor } from '../helpers/wait.js';
import { rejection } from './conformance/responses.js';

describe('emulator timeouts and connection cap', () => {
  let env: TestEmulator | undefined;
  const sockets: Socket[] = [];
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    await env?.stop();
    env = undefined;
  });

  it('answers a body that sends 1 byte and stalls with 400 RequestTimeout, and keeps nothing of it', async () => {
    env = await startTestEmulator({ idleTimeoutMs: 300 });
    const client = env.client({ retryMax: 0 });
    const body = new PassThrough();
    const put = rejection(client.putStream('stalled.bin', body));
    body.write(Buffer.from('x')); // then nothing more, and the stream is never ended
    expect(await put).toMatchObject({ status: 400, code: 'RequestTimeout' });
    const entry = await waitFor(() => env!.emulator.requestLog.entries().find((e) => e.key === 'stalled.bin'), {
      what: 'the stalled put in the log',
    });
    expect(entry).toMatchObject({ status: 400, code: 'RequestTimeout', bytesReceived: 1 });
    expect(await rejection(client.head('stalled.bin'))).toMatchObject({ code: 'NoSuchKey' });
    body.destroy();
  });

  it('refuses connections over the cap until one closes', async () => {
    env = await startTestEmulator({ maxConnections: 2 });
    const { port } = env.emulator;
    const open = (): Promise<Socket> =>
      new Promise((resolve, reject) => {
        const socket = connect(port, '127.0.0.1', () => resolve(socket));
        socket.once('error', reject);
        sockets.push(socket);
      });
    const closedByServer = (socket: Socket): Promise<void> => new Promise((resolve) => socket.once('close', () => resolve()));
    /** An HTTP answer on a fresh connection, or undefined if the server closed it unanswered. */
    const ask = async (): Promise<string | undefined> => {
      const socket = await open();
      let received = '';
      socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
      const closed = closedByServer(socket);
      socket.write(`GET /${env!.bucket}/x HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
      await closed;
      return received || undefined;
    };
    const held = [await open(), await open()];
    await waitFor(async () => (await ask()) === undefined, { what: 'a third connection refused' });
    held[0]!.destroy();
    const answer = await waitFor(ask, { what: 'a connection accepted again' });
    expect(answer).toMatch(/^HTTP\/1\.1 403/);
  });
});
