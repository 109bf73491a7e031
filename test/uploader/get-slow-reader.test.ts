/**
 * get() fails a body that stops arriving (restore-through-proxies.test.ts), but a reader that is
 * only slow (a busy disk behind a restore) must never be failed for it: the body waits for it.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, expect, it } from 'vitest';
import { createOssStorage } from '../../src/uploader/index.js';
import { startTestEmulator, type TestEmulator } from '../helpers/emulator.js';

let emu: TestEmulator | undefined;
afterEach(async () => {
  await emu?.stop();
  emu = undefined;
});

it('a body left unread for many times the timeout is still whole when its reader comes back', async () => {
  emu = await startTestEmulator();
  const body = randomBytes(8 * 1024 * 1024); // more than the socket and the stream buffer hold
  await emu.client().put('slow.bin', body);
  const storage = createOssStorage({ endpoint: emu.endpoint, accessKeyId: emu.accessKeyId, accessKeySecret: emu.accessKeySecret });
  const download = await storage.get({ bucket: emu.bucket, key: 'slow.bin' }, { timeoutMs: 100 });
  let failed: unknown;
  download.stream.once('error', (err) => (failed = err));
  // What is tested is time passing with nobody reading: a reader stalled for ten timeouts.
  await sleep(1000);
  const chunks: Buffer[] = [];
  for await (const chunk of download.stream) chunks.push(chunk as Buffer);
  expect(failed).toBeUndefined();
  expect(Buffer.concat(chunks).equals(body)).toBe(true);
});
