/** The `oss:` section: endpoint, region and credentials (from ${ENV} references or a credentials file). */
import { readCredentialsFile, type FileCredentials } from './credentials-file.js';
import { readCredentialsSource } from './credentials-section.js';
import { InvalidValue, describeValue } from './config-error.js';
import { resolveConfigPath } from './paths.js';
import type { Secret, SectionReader } from './section-reader.js';
import type { OssConfig } from './types.js';

function checkEndpoint(value: unknown): string {
  const text = typeof value === 'string' ? value.trim() : '';
  if (text.includes('://')) {
    const url = URL.canParse(text) ? new URL(text) : undefined;
    // ali-oss refuses user:password@, a path or a query on every request: say so now, not at upload time.
    if (url && (url.username !== '' || url.password !== '')) {
      throw new InvalidValue('must not carry a user name or password (credentials go in access_key_id/access_key_secret)');
    }
    if (url && ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '')) {
      throw new InvalidValue(`expected the service address only (no path, query or #), like ${url.protocol}//${url.host}`);
    }
    if (url && (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '') return text;
  } else if (/^[A-Za-z0-9.-]+(:\d+)?$/.test(text)) {
    return text;
  }
  // Never echo a value with '@' in it: it may hold a password.
  const got = text.includes('@') ? 'a value with "@" in it (credentials do not belong in the endpoint)' : describeValue(value);
  throw new InvalidValue(`expected a URL like https://oss-cn-hangzhou.aliyuncs.com or http://127.0.0.1:9000, got ${got}`);
}

function warnIfInline(oss: SectionReader, key: string, secret: Secret | undefined): void {
  if (!secret?.inline) return;
  oss.sink.warn(
    `${oss.keyPath(key)} is written inline in ${oss.sink.source.file} (${oss.sink.lineOf(oss.keyPath(key))}); prefer \${ENV_VAR} or credentials_file`,
  );
}

function readCredentials(oss: SectionReader, baseDir: string): FileCredentials {
  const file = oss.string('credentials_file');
  const id = oss.secret('access_key_id');
  const secret = oss.secret('access_key_secret');
  const token = oss.secret('sts_token');
  if (file === undefined) {
    warnIfInline(oss, 'access_key_secret', secret);
    warnIfInline(oss, 'sts_token', token);
    return {
      accessKeyId: oss.require('access_key_id', id?.value, 'the AccessKey ID, e.g. ${OSS_ACCESS_KEY_ID} (or set credentials_file)'),
      accessKeySecret: oss.require('access_key_secret', secret?.value, 'the AccessKey secret, e.g. ${OSS_ACCESS_KEY_SECRET}'),
      stsToken: token?.value,
    };
  }
  if (id || secret || token) {
    oss.sink.atKey(oss.keyPath('credentials_file'), 'set either credentials_file or access_key_id/access_key_secret/sts_token, not both');
    return {};
  }
  return oss.parsed('credentials_file', () => readCredentialsFile(resolveConfigPath(file, baseDir, oss.env))) ?? {};
}

export function readOssSection(oss: SectionReader, baseDir: string): Partial<OssConfig> {
  const endpoint = oss.require('endpoint', oss.parsed('endpoint', checkEndpoint), 'the OSS endpoint URL');
  const region = oss.string('region');
  const authorizationV4 = oss.boolean('authorization_v4') ?? false;
  if (authorizationV4 && region === undefined) {
    oss.sink.atValue(oss.keyPath('authorization_v4'), 'signature V4 needs a region (set oss.region, e.g. cn-hangzhou)');
  }
  const timeoutMs = oss.duration('timeout');
  const retryMaxTimeMs = oss.duration('retry_max_time');
  const sourceSection = oss.section('credentials');
  const source = sourceSection && readCredentialsSource(sourceSection, baseDir);
  // AssumeRole from static keys takes them where they always were (oss.access_key_id...).
  const keysAtOss =
    (source === undefined && !oss.has('credentials')) ||
    source?.provider === 'static' ||
    (source?.provider === 'assume_role' && source.base.provider === 'static');
  // Keys from a renewing provider: the static ones stay empty.
  let credentials: FileCredentials = { accessKeyId: '', accessKeySecret: '' };
  if (keysAtOss) credentials = readCredentials(oss, baseDir);
  else {
    for (const key of ['access_key_id', 'access_key_secret', 'sts_token', 'credentials_file']) {
      // An invalid oss.credentials is reported already: the keys are not what is wrong.
      if (oss.has(key) && source !== undefined)
        oss.sink.atKey(oss.keyPath(key), `set either ${key} or oss.credentials (provider ${source.provider}), not both`);
    }
  }
  oss.reportUnknownKeys();
  return { endpoint, region, authorizationV4, timeoutMs, retryMaxTimeMs, ...credentials, credentials: source };
}
