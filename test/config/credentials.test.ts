import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ONE_FOLDER, configWorkspace } from './config-fixture.js';
import type { ConfigWorkspace } from './config-fixture.js';

const ENDPOINT = ['oss:', '  endpoint: https://oss-cn-hangzhou.aliyuncs.com'];

describe('credentials', () => {
  let ws: ConfigWorkspace;
  beforeEach(() => {
    ws = configWorkspace();
  });
  afterEach(() => ws.remove());

  function writeSecretFile(name: string, content: string, mode: number): string {
    const path = join(ws.root, name);
    writeFileSync(path, content);
    chmodSync(path, mode);
    return path;
  }

  it('expands ${VAR} and ${VAR:-default} references', () => {
    const config = ws.load(
      [...ENDPOINT, '  access_key_id: ${KEY_ID}', '  access_key_secret: ${KEY_SECRET:-fallback}', '  sts_token: ${TOKEN:-}', ...ONE_FOLDER],
      { KEY_ID: 'LTAI5t', HOME: '/h' },
    );
    expect(config.oss).toMatchObject({ accessKeyId: 'LTAI5t', accessKeySecret: 'fallback', stsToken: undefined });
    expect(config.warnings).toEqual([]);
  });

  it('names the undefined variable and the key', () => {
    const error = ws.fail([...ENDPOINT, '  access_key_id: id', '  access_key_secret: ${OSS_SECRET_NOT_SET}', ...ONE_FOLDER], {});
    expect(error.message).toContain(
      `${ws.root}/config.yaml:4:22: oss.access_key_secret: environment variable OSS_SECRET_NOT_SET is not set or empty (set it, or write \${OSS_SECRET_NOT_SET:-default})`,
    );
  });

  it('allows an inline secret but warns without quoting it', () => {
    const config = ws.load([...ENDPOINT, '  access_key_id: id', '  access_key_secret: hunter2-inline', ...ONE_FOLDER], {});
    expect(config.oss.accessKeySecret).toBe('hunter2-inline');
    expect(config.warnings).toEqual([
      `oss.access_key_secret is written inline in ${ws.root}/config.yaml (line 4); prefer \${ENV_VAR} or credentials_file`,
    ]);
  });

  it('never puts a secret into an error', () => {
    const error = ws.fail([...ENDPOINT, '  access_key_id: id', '  access_key_secret: 123456789', ...ONE_FOLDER], {});
    expect(error.message).toContain('oss.access_key_secret: expected a string, got a number');
    expect(error.message).not.toContain('123456789');
  });

  it('reads a YAML credentials file', () => {
    writeSecretFile('creds.yaml', 'access_key_id: file-id\naccess_key_secret: file-secret\nsts_token: file-token\n', 0o600);
    const config = ws.load([...ENDPOINT, '  credentials_file: creds.yaml', ...ONE_FOLDER], {});
    expect(config.oss).toMatchObject({ accessKeyId: 'file-id', accessKeySecret: 'file-secret', stsToken: 'file-token' });
  });

  it('reads an ossutil-style INI credentials file', () => {
    writeSecretFile('ossutilconfig', '[Credentials]\nlanguage=EN\naccessKeyID=ini-id\naccessKeySecret=ini-secret\n', 0o600);
    const config = ws.load([...ENDPOINT, '  credentials_file: ossutilconfig', ...ONE_FOLDER], {});
    expect(config.oss).toMatchObject({ accessKeyId: 'ini-id', accessKeySecret: 'ini-secret' });
  });

  it('refuses a credentials file other users can read, naming the path and the fix', () => {
    const path = writeSecretFile('creds.yaml', 'access_key_id: a\naccess_key_secret: b\n', 0o644);
    const error = ws.fail([...ENDPOINT, '  credentials_file: creds.yaml', ...ONE_FOLDER], {});
    expect(error.message).toContain(
      `${ws.root}/config.yaml:3:21: oss.credentials_file: credentials file ${path} is readable by other users (mode 644); run: chmod 600 ${path}`,
    );
  });

  it('rejects a credentials file together with inline keys, and a file without the secret', () => {
    writeSecretFile('partial.yaml', 'access_key_id: only-id\n', 0o600);
    const both = ws.fail([...ENDPOINT, '  credentials_file: partial.yaml', '  access_key_id: x', ...ONE_FOLDER], {});
    expect(both.message).toContain('oss.credentials_file: set either credentials_file or access_key_id');
    const partial = ws.fail([...ENDPOINT, '  credentials_file: partial.yaml', ...ONE_FOLDER], {});
    expect(partial.message).toContain('must set both access_key_id and access_key_secret');
    expect(partial.message).not.toContain('only-id');
  });

  it('requires credentials and a region for signature V4', () => {
    const error = ws.fail([...ENDPOINT, '  authorization_v4: true', ...ONE_FOLDER], {});
    expect(error.issues.map((issue) => `${issue.line}: ${issue.keyPath}: ${issue.message}`)).toEqual([
      '1: oss.access_key_id: missing: the AccessKey ID, e.g. ${OSS_ACCESS_KEY_ID} (or set credentials_file)',
      '1: oss.access_key_secret: missing: the AccessKey secret, e.g. ${OSS_ACCESS_KEY_SECRET}',
      '3: oss.authorization_v4: signature V4 needs a region (set oss.region, e.g. cn-hangzhou)',
    ]);
  });
});
