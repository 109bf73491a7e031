/**
 * get() builds its V1 request without ali-oss's createRequest (bodilessV1Request, for speed): what it
 * sends must stay what createRequest would have sent, or every restore's GET would be signed wrong
 * for some key, endpoint or credential the emulator tests do not meet.
 */
import { createRequire } from 'node:module';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import {
  bodilessV1Request,
  clientAgents,
  newAliOssClient,
  type AliOssClient,
  type OssConnectionOptions,
} from '../../src/uploader/ali-oss-client.js';

const { createRequest } = createRequire(import.meta.url)('ali-oss/lib/common/utils/createRequest.js') as {
  createRequest(
    this: AliOssClient,
    params: Record<string, unknown>,
  ): { url: string; params: { headers: Record<string, string>; timeout: number } };
};

beforeEach(() => {
  vi.useFakeTimers({ now: Date.UTC(2026, 11, 6, 1, 2, 3, 456), toFake: ['Date'] });
});
afterEach(() => {
  vi.useRealTimers();
});

const credentials = { accessKeyId: 'AKID', accessKeySecret: 'secret' };
const connections: Array<[string, OssConnectionOptions, number?]> = [
  ['an IP endpoint (the emulator)', { endpoint: 'http://127.0.0.1:9000', ...credentials }],
  ['a named endpoint over https', { endpoint: 'https://oss-cn-shanghai.aliyuncs.com', ...credentials }],
  ['a region and a port', { endpoint: 'http://oss.example.test:8080', region: 'oss-cn-beijing', ...credentials }],
  ['an STS token', { endpoint: 'http://127.0.0.1:9000', stsToken: 'sts-token/+=', ...credentials }],
  ['a corrected clock', { endpoint: 'http://127.0.0.1:9000', ...credentials }, -3_600_500],
];
const requests: Array<[string, string, Record<string, unknown>]> = [
  ['a plain key', 'dir/name', {}],
  ['spaces, plus signs and percents', 'dir/a b+c%20d', {}],
  ['unicode, ? and #', 'фото/日本 #1?x=y', {}],
  [
    'a version and a range',
    'dir/versioned',
    { subres: { versionId: 'CAEQ+/=abc' }, headers: { Range: 'bytes=0-9', 'If-Match': '"etag"' } },
  ],
  ['a timeout', 'dir/slow', { timeout: 12_345 }],
];

it.each(
  connections.flatMap(([what, connection, skew]) =>
    requests.map(([req, key, options]) => [what, req, connection, skew, key, options] as const),
  ),
)('%s, %s: the same URL, headers and signature as createRequest', (_what, _req, connection, skew, key, options) => {
  const client = newAliOssClient(connection, 'my-bucket', clientAgents());
  if (skew !== undefined) client.options.amendTimeSkewed = skew;
  const params = client._objectRequestParams('GET', key, options);
  const theirs = createRequest.call(client, client._objectRequestParams('GET', key, options));
  const ours = bodilessV1Request(client, params)!;
  const { protocol, hostname, port, path } = ours.target;
  expect(`${protocol}//${hostname}${port ? `:${port}` : ''}${path}`).toBe(theirs.url);
  expect(ours.headers).toEqual(theirs.params.headers);
  expect(ours.timeout).toBe(theirs.params.timeout);
});

it('leaves out only the Content-Type createRequest guesses from an extension, signed without it', () => {
  const client = newAliOssClient({ endpoint: 'http://127.0.0.1:9000', ...credentials }, 'my-bucket', clientAgents());
  const theirs = createRequest.call(client, client._objectRequestParams('GET', 'photo.jpg', {})).params.headers;
  const ours = bodilessV1Request(client, client._objectRequestParams('GET', 'photo.jpg', {}))!.headers;
  expect(theirs['Content-Type']).toBe('image/jpeg');
  const { 'Content-Type': _guessed, authorization: _signed, ...rest } = theirs;
  expect(ours).toEqual({ ...rest, authorization: client.authorization('GET', '/my-bucket/photo.jpg', undefined, rest) });
});

it.each([
  ['V4 signing', { authorizationV4: true, region: 'oss-cn-hangzhou' }, {}],
  ['a body', {}, { content: Buffer.from('x') }],
  ['a query', {}, { query: { 'list-type': 2 } }],
])('leaves %s to createRequest', (_what, connection, extra) => {
  const client = newAliOssClient({ endpoint: 'http://127.0.0.1:9000', ...credentials, ...connection }, 'my-bucket', clientAgents());
  expect(bodilessV1Request(client, { ...client._objectRequestParams('GET', 'k', {}), ...extra })).toBeUndefined();
});
