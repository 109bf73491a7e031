import { afterEach, describe, expect, it } from 'vitest';
import { startTestEmulator, type TestEmulator } from '../helpers/emulator.js';

let emu: TestEmulator | undefined;
afterEach(async () => {
  await emu?.stop();
  emu = undefined;
});

type Client = ReturnType<TestEmulator['client']>;
/** @types/ali-oss lacks getObjectTagging. */
const tagsOf = async (client: Client, key: string): Promise<Record<string, string>> =>
  (await (client as unknown as { getObjectTagging(key: string): Promise<{ tag: Record<string, string> }> }).getObjectTagging(key)).tag;
/** ali-oss's typings leave out most response headers. */
const headersOf = async (client: Client, key: string, options = {}): Promise<Record<string, string | undefined>> =>
  (await client.head(key, options)).res.headers as Record<string, string | undefined>;
const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (err: { code?: string; status?: number }) => `${err.status} ${err.code}`,
  );

describe('server-side encryption and object tags (real ali-oss client)', () => {
  it('keeps x-oss-server-side-encryption and x-oss-tagging of a PutObject: HEAD, GET and getObjectTagging show them', async () => {
    emu = await startTestEmulator();
    const client = emu.client();
    await client.put('small.txt', Buffer.from('secret'), {
      headers: {
        'x-oss-server-side-encryption': 'KMS',
        'x-oss-server-side-encryption-key-id': 'key-1234',
        'x-oss-tagging': 'folder=photos&host=my%20box',
      },
    });
    const head = await headersOf(client, 'small.txt');
    expect(head).toMatchObject({
      'x-oss-server-side-encryption': 'KMS',
      'x-oss-server-side-encryption-key-id': 'key-1234',
      'x-oss-tagging-count': '2',
    });
    const got = await client.get('small.txt');
    expect((got.res.headers as Record<string, string>)['x-oss-server-side-encryption']).toBe('KMS');
    expect(got.content.toString()).toBe('secret');
    expect(await tagsOf(client, 'small.txt')).toEqual({ folder: 'photos', host: 'my box' });

    await client.put('plain.txt', Buffer.from('plain'));
    expect(await headersOf(client, 'plain.txt')).not.toHaveProperty('x-oss-server-side-encryption');
    expect(await tagsOf(client, 'plain.txt')).toEqual({});
    expect(await codeOf(tagsOf(client, 'missing.txt'))).toBe('404 NoSuchKey');
  });

  it('gives a multipart object the encryption and tags given at initiate', async () => {
    emu = await startTestEmulator();
    const client = emu.client();
    const { uploadId } = await client.initMultipartUpload('big.bin', {
      headers: { 'x-oss-server-side-encryption': 'SM4', 'x-oss-tagging': 'tier=cold' },
    });
    const part1 = Buffer.alloc(100 * 1024, 1);
    const part2 = Buffer.from('tail');
    const p1 = await client.uploadPart('big.bin', uploadId, 1, part1, 0, part1.length);
    const p2 = await client.uploadPart('big.bin', uploadId, 2, part2, 0, part2.length);
    await client.completeMultipartUpload('big.bin', uploadId, [
      { number: 1, etag: p1.etag },
      { number: 2, etag: p2.etag },
    ]);
    expect(await headersOf(client, 'big.bin')).toMatchObject({ 'x-oss-server-side-encryption': 'SM4', 'x-oss-tagging-count': '1' });
    expect(await tagsOf(client, 'big.bin')).toEqual({ tier: 'cold' });
  });

  it('refuses an unknown algorithm, a key id without KMS and tags over OSS limits', async () => {
    emu = await startTestEmulator();
    const client = emu.client();
    const put = (headers: Record<string, string>) => codeOf(client.put('x.txt', Buffer.from('x'), { headers }));
    expect(await put({ 'x-oss-server-side-encryption': 'DES' })).toBe('400 InvalidEncryptionAlgorithmError');
    expect(await put({ 'x-oss-server-side-encryption': 'AES256', 'x-oss-server-side-encryption-key-id': 'k' })).toBe('400 InvalidArgument');
    const eleven = Array.from({ length: 11 }, (_, i) => `k${i}=v`).join('&');
    expect(await put({ 'x-oss-tagging': eleven })).toBe('400 InvalidArgument');
    expect(await put({ 'x-oss-tagging': `${'k'.repeat(129)}=v` })).toBe('400 InvalidArgument');
    expect(await put({ 'x-oss-tagging': `k=${'v'.repeat(257)}` })).toBe('400 InvalidArgument');
    expect(await codeOf(client.head('x.txt'))).toBe('404 NoSuchKey');
  });
});
