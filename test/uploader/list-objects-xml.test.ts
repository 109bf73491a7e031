import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOssStorage, listObjects } from '../../src/uploader/index.js';
import { ListingParseError, parseListObjectsV2 } from '../../src/uploader/list-objects-xml.js';
import { startTestEmulator, type TestEmulator } from '../helpers/emulator.js';

describe('listing through the real client: keys come back exactly as they were put', () => {
  let emu: TestEmulator;
  beforeAll(async () => {
    emu = await startTestEmulator();
  });
  afterAll(() => emu.stop());

  it('escaped characters, markup look-alikes, non-ASCII and empty objects', async () => {
    const client = emu.client();
    const keys = [
      'odd/a&b.txt',
      'odd/<Contents>.txt',
      'odd/</Key>&lt;.txt',
      `odd/quote"and'apostrophe.txt`,
      'odd/中文/文件.txt',
      'odd/emoji 😀 space.txt',
      'odd/&amp;literal.txt',
      'odd/empty',
    ];
    const put = new Map<string, string>();
    for (const key of keys) {
      const body = Buffer.from(key === 'odd/empty' ? '' : `body of ${key}`);
      const res = await client.put(key, body);
      put.set(key, (res.res.headers as Record<string, string>).etag!);
    }
    const storage = createOssStorage({ endpoint: emu.endpoint, accessKeyId: emu.accessKeyId, accessKeySecret: emu.accessKeySecret });
    const listed = await listObjects(storage, emu.bucket, 'odd/');
    expect(listed.map((o) => o.key).sort()).toEqual([...keys].sort());
    for (const o of listed) {
      expect(o.etag).toBe(put.get(o.key));
      expect(o.size).toBe(o.key === 'odd/empty' ? 0 : Buffer.byteLength(`body of ${o.key}`));
      expect(o.storageClass).toBe('Standard');
      expect(Number.isNaN(Date.parse(o.lastModified))).toBe(false);
    }
  });
});

describe('parseListObjectsV2', () => {
  const page = (contents: string, tail = '<IsTruncated>false</IsTruncated>') =>
    `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult>\n  <Name>b</Name>\n  <Prefix>p/</Prefix>\n  <MaxKeys>1000</MaxKeys>\n  ${tail}\n  ${contents}\n</ListBucketResult>`;
  const object = (key: string, more = '') =>
    `<Contents><Key>${key}</Key><LastModified>2026-12-05T00:00:00.000Z</LastModified><ETag>&quot;ABC&quot;</ETag><Type>Normal</Type><Size>7</Size><StorageClass>Archive</StorageClass>${more}</Contents>`;

  it('reads numeric references and CDATA as the characters they stand for', () => {
    const parsed = parseListObjectsV2(page(object('p/&#x4E2D;&#25991;&lt;&gt;<![CDATA[&raw<]]>')));
    expect(parsed.objects).toEqual([
      { key: 'p/中文<>&raw<', size: 7, etag: '"ABC"', storageClass: 'Archive', lastModified: '2026-12-05T00:00:00.000Z' },
    ]);
  });

  it('finds the continuation token before or after the objects', () => {
    const before = '<IsTruncated>true</IsTruncated><NextContinuationToken>tok&amp;1</NextContinuationToken>';
    expect(parseListObjectsV2(page(object('p/a'), before))).toMatchObject({ isTruncated: true, nextContinuationToken: 'tok&1' });
    const after = page(`${object('p/a')}<IsTruncated>true</IsTruncated><NextContinuationToken>t2</NextContinuationToken>`, '');
    expect(parseListObjectsV2(after)).toMatchObject({ isTruncated: true, nextContinuationToken: 't2' });
  });

  it('an empty listing is no objects and the last page', () => {
    expect(parseListObjectsV2(page(''))).toEqual({ objects: [], isTruncated: false, nextContinuationToken: undefined });
  });

  it('refuses a page it cannot read whole instead of returning fewer objects', () => {
    // A dropped object would read as deleted to verify and as lost to restore.
    expect(() => parseListObjectsV2(page(object('p/a').replace(/<ETag>.*<\/ETag>/, '')))).toThrow(/without a readable Key, Size and ETag/);
    expect(() => parseListObjectsV2(page(object('p/a').replace('<Size>7</Size>', '<Size>x</Size>')))).toThrow(ListingParseError);
    expect(() => parseListObjectsV2(page(`${object('p/a')}<Contents><Key>p/b</Key>`))).toThrow(/not closed/);
    expect(() => parseListObjectsV2(page(object('p/&nbsp;')))).toThrow(/unknown entity/);
    expect(() => parseListObjectsV2('<Error><Code>AccessDenied</Code></Error>')).toThrow(/not a ListBucketResult/);
  });
});
