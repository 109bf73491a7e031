/**
 * get() signs with ali-oss's own request builder but sends the request itself: both signature
 * versions must still be what the server checks (a V4 GET signed wrong would fail every restore).
 */
import { afterEach, expect, it } from 'vitest';
import { createOssStorage } from '../../src/uploader/index.js';
import { startTestEmulator, type TestEmulator } from '../helpers/emulator.js';

let emu: TestEmulator | undefined;
afterEach(async () => {
  await emu?.stop();
  emu = undefined;
});

it.each([
  ['V1', {}],
  ['V4', { authorizationV4: true, region: 'oss-cn-hangzhou' }],
])('fetches an object signed %s, and a wrong secret is refused', async (_version, signing) => {
  emu = await startTestEmulator();
  await emu.client().put('dir/a b+c.txt', Buffer.from('signed\n'));
  const connect = (accessKeySecret: string) =>
    createOssStorage({ endpoint: emu!.endpoint, accessKeyId: emu!.accessKeyId, accessKeySecret, ...signing });
  const download = await connect(emu.accessKeySecret).get({ bucket: emu.bucket, key: 'dir/a b+c.txt' });
  const chunks: Buffer[] = [];
  for await (const chunk of download.stream) chunks.push(chunk as Buffer);
  expect(Buffer.concat(chunks).toString()).toBe('signed\n');
  await expect(connect('wrong').get({ bucket: emu.bucket, key: 'dir/a b+c.txt' })).rejects.toMatchObject({ code: 'SignatureDoesNotMatch' });
});
