import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOssStorage, listObjects, RefreshingCredentials } from '../../src/uploader/index.js';
import { ListingParseError, parseListObjectsV2 } from '../../src/uploader/list-objects-xml.js';
import { StsIssuer } from '../helpers/credential-servers.js';
import { startTestEmulator, type TestEmulator } from '../helpers/emulator.js';
import { startHeaderProxy, type HeaderProxy } from '../helpers/header-proxy.js';

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
  it('control characters, line ends, whitespace-only keys and CDATA or reference look-alikes', async () => {
    const client = emu.client();
    const keys = [
      'ctl/cr\rlf\ncrlf\r\ntab\t.txt',
      'ctl/\u0001\u001f\u007f.txt',
      'ctl/   ',
      'ctl/ trailing space ',
      'ctl/\uFFFD replacement',
      'ctl/\u{1F600}\u{10FFFF}',
      'ctl/<![CDATA[x]]>',
      'ctl/&#38;&#x26;',
      'ctl/</Contents><Contents><Key>forged</Key>',
    ];
    for (const key of keys) await client.put(key, Buffer.from(key));
    const storage = createOssStorage({ endpoint: emu.endpoint, accessKeyId: emu.accessKeyId, accessKeySecret: emu.accessKeySecret });
    const listed = await listObjects(storage, emu.bucket, 'ctl/');
    expect(listed.map((o) => o.key).sort()).toEqual([...keys].sort());
    for (const o of listed) expect(o.size).toBe(Buffer.byteLength(o.key));
  });

  it('signs with an STS token, renews a refused one and asks for the page again; the timeout holds', async () => {
    const expired = new StsIssuer(emu.emulator, 120_000, 120_000); // the emulator ends its sets at once
    let source = expired;
    const credentials = new RefreshingCredentials('credentials_uri', () => {
      const set = source.issue();
      const securityToken = set.SecurityToken;
      return Promise.resolve({
        accessKeyId: set.AccessKeyId,
        accessKeySecret: set.AccessKeySecret,
        securityToken,
        expiration: Date.parse(set.Expiration),
      });
    });
    try {
      await credentials.get();
      source = new StsIssuer(emu.emulator, 120_000);
      const storage = createOssStorage({ endpoint: emu.endpoint, accessKeyId: 'unused', accessKeySecret: 'unused' }, credentials);
      await emu.client().put('sts/a', Buffer.from('a'));
      emu.emulator.requestLog.clear();
      expect((await listObjects(storage, emu.bucket, 'sts/')).map((o) => o.key)).toEqual(['sts/a']);
      const lists = emu.emulator.requestLog.entries().filter((e) => e.operation === 'ListObjectsV2');
      expect(lists.map((e) => [e.status, e.code])).toEqual([
        [403, 'SecurityTokenExpired'],
        [200, undefined],
      ]);
      emu.emulator.faults.add({ match: { operation: 'ListObjectsV2' }, action: { type: 'latency', ms: 5_000 } });
      await expect(listObjects(storage, emu.bucket, 'sts/', { timeoutMs: 200 })).rejects.toThrow(/ResponseTimeoutError/);
    } finally {
      credentials.close();
      emu.emulator.faults.clear();
    }
  });
});

describe('a listing answer damaged or cut short on the way fails the listing instead of dropping objects', () => {
  let emu: TestEmulator;
  let proxy: HeaderProxy;
  /** Applied to every ListObjectsV2 answer's body on its way through the proxy. */
  let damage: ((body: string, path: string) => string) | undefined;
  beforeAll(async () => {
    emu = await startTestEmulator();
    for (const key of ['cut/a', 'cut/b', 'cut/c']) await emu.client().put(key, Buffer.from(key));
    proxy = await startHeaderProxy(emu.endpoint, {
      body: (body, path) => (damage && path.includes('list-type=2') ? damage(body, path) : body),
    });
  });
  afterAll(async () => {
    await proxy.close();
    await emu.stop();
  });
  const listed = async (): Promise<string[]> => {
    const storage = createOssStorage({ endpoint: proxy.endpoint, accessKeyId: emu.accessKeyId, accessKeySecret: emu.accessKeySecret });
    return (await listObjects(storage, emu.bucket, 'cut/')).map((o) => o.key);
  };
  /** `text` with its nth (1-based) occurrence of `tag` replaced. */
  const replaceNth = (text: string, tag: string, nth: number, by: string): string => {
    let at = -1;
    for (let i = 0; i < nth; i++) at = text.indexOf(tag, at + 1);
    return `${text.slice(0, at)}${by}${text.slice(at + tag.length)}`;
  };
  const truncatedWith = (token: string) => (body: string) =>
    body.replace(
      '<IsTruncated>false</IsTruncated>',
      `<IsTruncated>true</IsTruncated><NextContinuationToken>${token}</NextContinuationToken>`,
    );

  it('lists every object when the answer is left alone', async () => {
    damage = undefined;
    expect(await listed()).toEqual(['cut/a', 'cut/b', 'cut/c']);
  });

  it.each([
    ['an opening <Contents> tag damaged', (body: string) => replaceNth(body, '<Contents>', 2, '<Cpntents>')],
    ['a closing </Contents> tag damaged', (body: string) => replaceNth(body, '</Contents>', 1, '</Cpntents>')],
    ['the body cut short after a whole object', (body: string) => body.slice(0, body.indexOf('</Contents>') + '</Contents>'.length)],
    ['IsTruncated damaged', (body: string) => body.replace('<IsTruncated>false</IsTruncated>', '<IsTruncated>fals</IsTruncated>')],
    ['IsTruncated missing', (body: string) => body.replace('<IsTruncated>false</IsTruncated>', '')],
    ['IsTruncated true without a NextContinuationToken', (body: string) => body.replace('<IsTruncated>false', '<IsTruncated>true')],
  ])('%s', async (_what, edit) => {
    damage = edit;
    await expect(listed()).rejects.toThrow(/ListObjectsV2 oss:\/\/test-bucket\/cut\/ failed: ListingParseError/);
  });

  it('a next page whose token is the one it was asked with', async () => {
    // The first page says more follow (after cut/a); the second answers the token it was sent.
    const token = Buffer.from('cut/a').toString('base64url');
    damage = truncatedWith(token);
    await expect(listed()).rejects.toThrow(/ListingParseError.*token/);
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

  it('reads an answer laid out as OSS documents it: namespace, indentation, echoed tokens, owners, restore info', () => {
    const contents = (key: string, type: string, more: string) =>
      `  <Contents>\n    <Key>${key}</Key>\n    <LastModified>2026-12-05T00:00:00.000Z</LastModified>\n    <ETag>"5B3C1A2E05E1B002CC607C****"</ETag>\n    <Type>${type}</Type>\n    <Size>344606</Size>\n    <StorageClass>ColdArchive</StorageClass>\n    <Owner>\n      <ID>0022012****</ID>\n      <DisplayName>user-example</DisplayName>\n    </Owner>\n${more}  </Contents>\n`;
    const xml =
      '<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://doc.oss-cn-hangzhou.aliyuncs.com">\n' +
      '  <Name>examplebucket</Name>\n  <Prefix>p/&lt;Key&gt;</Prefix>\n  <StartAfter>p/&lt;IsTruncated&gt;</StartAfter>\n' +
      '  <ContinuationToken>CgJiYw--</ContinuationToken>\n  <MaxKeys>1000</MaxKeys>\n  <IsTruncated>true</IsTruncated>\n' +
      '  <NextContinuationToken>CgJiZQ--</NextContinuationToken>\n' +
      contents(
        'p/a',
        'Multipart',
        '    <RestoreInfo>ongoing-request="false", expiry-date="Sat, 05 Dec 2026 00:00:00 GMT"</RestoreInfo>\n',
      ) +
      contents('p/b', 'Appendable', '    <TransitionTime>2026-12-05T00:00:00.000Z</TransitionTime>\n') +
      '  <KeyCount>2</KeyCount>\n</ListBucketResult>\n';
    const parsed = parseListObjectsV2(xml);
    expect(parsed.objects.map((o) => [o.key, o.size, o.etag, o.storageClass])).toEqual([
      ['p/a', 344606, '"5B3C1A2E05E1B002CC607C****"', 'ColdArchive'],
      ['p/b', 344606, '"5B3C1A2E05E1B002CC607C****"', 'ColdArchive'],
    ]);
    expect(parsed).toMatchObject({ next: 'CgJiZQ--' });
  });

  it('finds the continuation token before or after the objects', () => {
    const before = '<IsTruncated>true</IsTruncated><NextContinuationToken>tok&amp;1</NextContinuationToken>';
    expect(parseListObjectsV2(page(object('p/a'), before))).toMatchObject({ next: 'tok&1' });
    const after = page(`${object('p/a')}<IsTruncated>true</IsTruncated><NextContinuationToken>t2</NextContinuationToken>`, '');
    expect(parseListObjectsV2(after)).toMatchObject({ next: 't2' });
  });

  it('an empty listing is no objects and the last page', () => {
    expect(parseListObjectsV2(page(''))).toEqual({ objects: [] });
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
