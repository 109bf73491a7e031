import { afterEach, describe, expect, it } from 'vitest';
import { startTestEmulator, type TestEmulator } from '../helpers/emulator.js';
import { waitFor } from '../helpers/wait.js';

let emu: TestEmulator | undefined;
afterEach(async () => {
  await emu?.stop();
  emu = undefined;
});

/** ali-oss's typings leave out most response fields. */
const restoreHeader = async (client: ReturnType<TestEmulator['client']>, key: string): Promise<string | undefined> =>
  ((await client.head(key)).res.headers as Record<string, string | undefined>)['x-oss-restore'];
const restoreStatus = async (client: ReturnType<TestEmulator['client']>, key: string): Promise<number> =>
  ((await client.restore(key)) as unknown as { res: { status: number } }).res.status;

const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (err: { code?: string; status?: number }) => `${err.status} ${err.code}`,
  );

describe('archive objects and RestoreObject (real ali-oss client)', () => {
  it('answers GET with 403 InvalidObjectState until a restore has finished; HEAD shows x-oss-restore', async () => {
    emu = await startTestEmulator();
    const client = emu.client();
    await client.put('cold.bin', Buffer.from('frozen bytes'), { headers: { 'x-oss-storage-class': 'Archive' } });
    expect(await codeOf(client.get('cold.bin'))).toBe('403 InvalidObjectState');
    expect(await restoreHeader(client, 'cold.bin')).toBeUndefined();

    expect(await restoreStatus(client, 'cold.bin')).toBe(202);
    expect(await restoreHeader(client, 'cold.bin')).toBe('ongoing-request="true"');
    expect(await codeOf(client.restore('cold.bin'))).toBe('409 RestoreAlreadyInProgress');
    expect(await codeOf(client.get('cold.bin'))).toBe('403 InvalidObjectState');

    const done = await waitFor(
      async () => {
        const header = await restoreHeader(client, 'cold.bin');
        return header?.startsWith('ongoing-request="false"') ? header : undefined;
      },
      { timeoutMs: 10_000, what: 'the restore to finish' },
    );
    expect(done).toMatch(/^ongoing-request="false", expiry-date="\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT"$/);
    expect((await client.get('cold.bin')).content).toEqual(Buffer.from('frozen bytes'));

    // An overwrite is a new archived object: frozen again.
    await client.put('cold.bin', Buffer.from('new frozen bytes'), { headers: { 'x-oss-storage-class': 'ColdArchive' } });
    expect(await codeOf(client.get('cold.bin'))).toBe('403 InvalidObjectState');
  });

  it('refuses RestoreObject on a Standard object and on a missing key', async () => {
    emu = await startTestEmulator();
    const client = emu.client();
    await client.put('warm.txt', Buffer.from('warm'));
    expect(await codeOf(client.restore('warm.txt'))).toBe('400 OperationNotSupported');
    expect(await codeOf(client.restore('missing.txt'))).toBe('404 NoSuchKey');
  });
});
