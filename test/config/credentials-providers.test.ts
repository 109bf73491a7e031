import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ONE_FOLDER, configWorkspace } from './config-fixture.js';
import type { ConfigWorkspace } from './config-fixture.js';

const ENDPOINT = ['oss:', '  endpoint: https://oss-cn-hangzhou.aliyuncs.com'];

describe('oss.credentials', () => {
  let ws: ConfigWorkspace;
  beforeEach(() => {
    ws = configWorkspace();
  });
  afterEach(() => ws.remove());

  it('static keys stay the default: no credentials key, no provider', () => {
    const config = ws.load([
      ...ENDPOINT,
      '  access_key_id: ${OSS_ACCESS_KEY_ID}',
      '  access_key_secret: ${OSS_ACCESS_KEY_SECRET}',
      ...ONE_FOLDER,
    ]);
    expect(config.oss.credentials).toBeUndefined();
    expect(config.oss.accessKeyId).toBe('test-id');
  });

  it('reads each provider with its defaults (the metadata service at 100.100.100.200, STS at its public endpoint)', () => {
    const load = (lines: string[]) =>
      ws.load([...ENDPOINT, '  credentials:', ...lines.map((l) => `    ${l}`), ...ONE_FOLDER]).oss.credentials;
    expect(load(['provider: credentials_uri', 'uri: http://127.0.0.1:8080/creds'])).toEqual({
      provider: 'credentials_uri',
      uri: 'http://127.0.0.1:8080/creds',
    });
    expect(load(['provider: process', 'command: [/usr/local/bin/get-sts, --json]'])).toEqual({
      provider: 'process',
      command: ['/usr/local/bin/get-sts', '--json'],
      timeoutMs: 30_000,
    });
    expect(load(['provider: ecs_ram_role'])).toEqual({
      provider: 'ecs_ram_role',
      metadataEndpoint: 'http://100.100.100.200',
      hardenedOnly: false,
    });
    expect(load(['provider: file', 'path: sts.ini'])).toEqual({ provider: 'file', path: `${ws.root}/sts.ini` });
    expect(
      load(['provider: assume_role', 'role_arn: acs:ram::1:role/backup', 'base:', '  provider: ecs_ram_role', '  role_name: r']),
    ).toEqual({
      provider: 'assume_role',
      roleArn: 'acs:ram::1:role/backup',
      roleSessionName: 'oss-sync',
      durationSeconds: 3600,
      stsEndpoint: 'https://sts.aliyuncs.com',
      base: { provider: 'ecs_ram_role', roleName: 'r', metadataEndpoint: 'http://100.100.100.200', hardenedOnly: false },
    });
  });

  it('names the key at fault', () => {
    const messages = (lines: string[], extra: string[] = []) =>
      ws
        .fail([...ENDPOINT, ...extra, '  credentials:', ...lines.map((l) => `    ${l}`), ...ONE_FOLDER])
        .issues.map((i) => `${i.keyPath}: ${i.message}`);
    expect(messages(['provider: sts'])).toEqual([
      expect.stringMatching(/^oss\.credentials\.provider: expected one of static, file, credentials_uri/),
    ]);
    expect(messages(['provider: credentials_uri'])).toEqual([expect.stringMatching(/^oss\.credentials\.uri: missing/)]);
    expect(messages(['provider: credentials_uri', 'uri: ftp://x'])).toEqual([
      expect.stringMatching(/^oss\.credentials\.uri: expected an http/),
    ]);
    expect(messages(['provider: process', 'command: []'])).toEqual([expect.stringMatching(/^oss\.credentials\.command:/)]);
    expect(messages(['provider: ecs_ram_role', 'role: x'])).toEqual([expect.stringMatching(/^oss\.credentials\.role: unknown key/)]);
    expect(messages(['provider: assume_role', 'role_arn: a'])).toEqual([expect.stringMatching(/^oss\.credentials\.base: missing/)]);
    expect(messages(['provider: ecs_ram_role'], ['  access_key_id: ${OSS_ACCESS_KEY_ID}'])).toEqual([
      expect.stringMatching(/^oss\.access_key_id: set either access_key_id or oss\.credentials \(provider ecs_ram_role\), not both/),
    ]);
  });
});
