import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestEmulator, type TestEmulator } from '../helpers/emulator.js';

let emu: TestEmulator | undefined;
afterEach(async () => {
  await emu?.stop();
  emu = undefined;
});

/** The calls @types/ali-oss lacks or types too loosely. */
interface VersionsClient {
  putBucketVersioning(bucket: string, status: 'Enabled' | 'Suspended'): Promise<unknown>;
  getBucketVersioning(bucket: string): Promise<{ versionStatus?: string }>;
  getBucketVersions(query: Record<string, string | number>): Promise<{
    objects: Array<{ name: string; versionId: string; isLatest: boolean; size: number; lastModified: string }>;
    deleteMarker: Array<{ name: string; versionId: string; lastModified: string }>;
    isTruncated: boolean;
    nextKeyMarker: string | null;
    nextVersionIdMarker: string | null;
  }>;
  put(key: string, body: Buffer): Promise<{ res: { headers: Record<string, string> } }>;
  get(key: string, options?: { versionId?: string }): Promise<{ content: Buffer; res: { headers: Record<string, string> } }>;
  head(key: string, options?: { versionId?: string }): Promise<{ res: { headers: Record<string, string> } }>;
  delete(key: string, options?: { versionId?: string }): Promise<{ res: { headers: Record<string, string> } }>;
}

const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (err: { code?: string; status?: number }) => `${err.status} ${err.code}`,
  );

describe('bucket versioning (real ali-oss client)', () => {
  it('keeps every version and leaves a delete marker; GET/HEAD/DELETE take versionId', async () => {
    emu = await startTestEmulator();
    const client = emu.client() as unknown as VersionsClient;
    await client.put('a.txt', Buffer.from('before versioning'));
    expect((await client.getBucketVersioning(emu.bucket)).versionStatus).toBeUndefined();
    await client.putBucketVersioning(emu.bucket, 'Enabled');
    expect((await client.getBucketVersioning(emu.bucket)).versionStatus).toBe('Enabled');

    const v1 = (await client.put('a.txt', Buffer.from('one'))).res.headers['x-oss-version-id']!;
    const v2 = (await client.put('a.txt', Buffer.from('two'))).res.headers['x-oss-version-id']!;
    expect(v1).toBeTruthy();
    expect(v2).not.toBe(v1);
    expect((await client.head('a.txt')).res.headers['x-oss-version-id']).toBe(v2);
    expect((await client.get('a.txt', { versionId: v1 })).content.toString()).toBe('one');
    expect((await client.get('a.txt', { versionId: 'null' })).content.toString()).toBe('before versioning');

    const deleted = await client.delete('a.txt');
    expect(deleted.res.headers['x-oss-delete-marker']).toBe('true');
    const marker = deleted.res.headers['x-oss-version-id']!;
    expect(await codeOf(client.head('a.txt'))).toBe('404 NoSuchKey');
    expect(await codeOf(client.get('a.txt', { versionId: marker }))).toBe('405 MethodNotAllowed');
    expect(await codeOf(client.get('a.txt', { versionId: 'nope' }))).toBe('404 NoSuchVersion');
    expect((await client.get('a.txt', { versionId: v2 })).content.toString()).toBe('two');
    // A plain listing no longer shows the key.
    expect((await emu.client().list({ prefix: 'a', 'max-keys': 10 }, {})).objects ?? []).toEqual([]);

    const listed = await client.getBucketVersions({ prefix: 'a' });
    expect(listed.deleteMarker.map((d) => d.versionId)).toEqual([marker]);
    expect(listed.objects.map((o) => [o.versionId, o.isLatest, o.size])).toEqual([
      [v2, false, 3],
      [v1, false, 3],
      ['null', false, 17],
    ]);

    // Removing the marker makes the newest version current again.
    const undeleted = await client.delete('a.txt', { versionId: marker });
    expect(undeleted.res.headers['x-oss-delete-marker']).toBe('true');
    expect((await client.get('a.txt')).content.toString()).toBe('two');
    // Removing the current version promotes the one before it; the data survives a restart.
    await client.delete('a.txt', { versionId: v2 });
    await emu.restart();
    const after = emu.client() as unknown as VersionsClient;
    expect((await after.get('a.txt')).content.toString()).toBe('one');
    expect((await after.getBucketVersioning(emu.bucket)).versionStatus).toBe('Enabled');
    expect((await after.getBucketVersions({ prefix: 'a' })).objects.map((o) => o.versionId)).toEqual([v1, 'null']);
  });

  it('pages ListObjectVersions with key-marker and version-id-marker', async () => {
    emu = await startTestEmulator();
    const client = emu.client() as unknown as VersionsClient;
    await client.putBucketVersioning(emu.bucket, 'Enabled');
    for (const key of ['k1', 'k2', 'k3']) {
      await client.put(key, Buffer.from(`${key} old`));
      await client.put(key, Buffer.from(`${key} new`));
    }
    await client.delete('k2');
    const seen: string[] = [];
    let keyMarker: string | undefined;
    let versionIdMarker: string | undefined;
    for (;;) {
      const page = await client.getBucketVersions({
        'max-keys': 2,
        ...(keyMarker !== undefined ? { keyMarker } : {}),
        ...(versionIdMarker ? { versionIdMarker } : {}),
      });
      const entries = [...page.objects.map((o) => ({ ...o, kind: 'v' })), ...page.deleteMarker.map((d) => ({ ...d, kind: 'd' }))];
      seen.push(...entries.map((e) => `${e.name}:${e.kind}`).sort());
      if (!page.isTruncated) break;
      keyMarker = page.nextKeyMarker!;
      versionIdMarker = page.nextVersionIdMarker!;
    }
    expect(seen.sort()).toEqual(['k1:v', 'k1:v', 'k2:d', 'k2:v', 'k2:v', 'k3:v', 'k3:v']);
  });

  it('Suspended: new writes and deletes are the "null" version, replacing it; older versions stay', async () => {
    emu = await startTestEmulator();
    const client = emu.client() as unknown as VersionsClient;
    await client.putBucketVersioning(emu.bucket, 'Enabled');
    const v1 = (await client.put('s.txt', Buffer.from('one'))).res.headers['x-oss-version-id']!;
    await client.putBucketVersioning(emu.bucket, 'Suspended');
    await client.put('s.txt', Buffer.from('two'));
    await client.put('s.txt', Buffer.from('three'));
    const listed = await client.getBucketVersions({ prefix: 's' });
    expect(listed.objects.map((o) => [o.versionId, o.isLatest])).toEqual([
      ['null', true],
      [v1, false],
    ]);
    const deleted = await client.delete('s.txt');
    expect(deleted.res.headers).toMatchObject({ 'x-oss-delete-marker': 'true', 'x-oss-version-id': 'null' });
    const after = await client.getBucketVersions({ prefix: 's' });
    expect(after.objects.map((o) => o.versionId)).toEqual([v1]);
    expect(after.deleteMarker.map((d) => d.versionId)).toEqual(['null']);
    expect((await client.get('s.txt', { versionId: v1 })).content.toString()).toBe('one');
    // A write replaces the "null" marker: one "null" version, current.
    await client.put('s.txt', Buffer.from('four'));
    const last = await client.getBucketVersions({ prefix: 's' });
    expect(last.objects.map((o) => [o.versionId, o.isLatest])).toEqual([
      ['null', true],
      [v1, false],
    ]);
    expect(last.deleteMarker).toEqual([]);
  });

  it('changes nothing on disk or in answers for a bucket that never had versioning', async () => {
    emu = await startTestEmulator();
    const client = emu.client() as unknown as VersionsClient;
    const put = await client.put('plain.txt', Buffer.from('x'));
    expect(put.res.headers).not.toHaveProperty('x-oss-version-id');
    const deleted = await client.delete('plain.txt');
    expect(deleted.res.headers).not.toHaveProperty('x-oss-delete-marker');
    expect(readdirSync(join(emu.dataDir, 'buckets', emu.bucket)).sort()).toEqual(['objects', 'uploads']);
    expect((await client.getBucketVersions({})).objects).toEqual([]);
  });
});

describe('listing times (real ali-oss client)', () => {
  // OSS lists whole seconds ("2012-02-24T08:42:32.000Z" in its ListObjects, ListObjectsV2 and
  // ListObjectVersions references), like the seconds of its Last-Modified header.
  const wholeSecond = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000Z$/;

  it('ListObjects, ListObjectsV2 and ListObjectVersions give LastModified in whole seconds, as OSS does', async () => {
    emu = await startTestEmulator();
    const client = emu.client();
    const versions = client as unknown as VersionsClient;
    await client.put('a.txt', Buffer.from('a'));
    await versions.putBucketVersioning(emu.bucket, 'Enabled');
    await client.put('b.txt', Buffer.from('b'));
    await client.delete('b.txt');
    const v1 = (await client.list({ 'max-keys': 100 }, {})).objects ?? [];
    const v2 = (await client.listV2({ 'max-keys': '100' }, {})).objects ?? [];
    const listedVersions = await versions.getBucketVersions({});
    const times = [...v1, ...v2, ...listedVersions.objects, ...listedVersions.deleteMarker].map((o) => o.lastModified);
    expect(times.length).toBe(5); // a in both listings; a, b and b's delete marker in the versions
    for (const t of times) expect(t).toMatch(wholeSecond);
    const head = await client.head('a.txt');
    const a = v1.find((o) => o.name === 'a.txt')!;
    expect(Date.parse(a.lastModified)).toBe(Date.parse((head.res.headers as Record<string, string>)['last-modified']!));
  });
});
