/**
 * A GET whose answer does not come: the request's timeout ends it (a hung server or a dead link
 * before the headers), and the caller's abort (Ctrl-C of a restore or verify --deep) ends it at once,
 * not when the headers would have come.
 */
import { afterEach, expect, it } from 'vitest';
import { createOssStorage } from '../../src/uploader/index.js';
import { startTestEmulator, type TestEmulator } from '../helpers/emulator.js';

let emu: TestEmulator | undefined;
afterEach(async () => {
  await emu?.stop();
  emu = undefined;
});

async function heldGet(): Promise<{ emu: TestEmulator; storage: ReturnType<typeof createOssStorage> }> {
  emu = await startTestEmulator();
  await emu.client().put('held.txt', Buffer.from('held\n'));
  emu.emulator.faults.add({ match: { operation: 'GetObject' }, action: { type: 'latency', ms: 30_000 } });
  const storage = createOssStorage({ endpoint: emu.endpoint, accessKeyId: emu.accessKeyId, accessKeySecret: emu.accessKeySecret });
  return { emu, storage };
}

it('a GET whose headers do not come within its timeout fails with ResponseTimeoutError', async () => {
  const { emu, storage } = await heldGet();
  await expect(storage.get({ bucket: emu.bucket, key: 'held.txt' }, { timeoutMs: 300 })).rejects.toMatchObject({
    name: 'StorageError',
    code: 'ResponseTimeoutError',
  });
});

it('an abort while the answer is awaited ends the GET at once, with the abort as its error', async () => {
  const { emu, storage } = await heldGet();
  const abort = new AbortController();
  const getting = storage.get({ bucket: emu.bucket, key: 'held.txt' }, { signal: abort.signal });
  getting.catch(() => undefined);
  await expect.poll(() => emu.emulator.faults.list().length, { timeout: 10_000 }).toBe(0); // the GET is held
  abort.abort();
  // ali-oss waited the 30 s for the headers, then handed back a download already destroyed.
  await expect(getting).rejects.toThrow(/abort/i);
});
