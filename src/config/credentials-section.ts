/**
 * `oss.credentials`: where credentials come from when they renew themselves (STS tokens, an ECS
 * RAM role, a sidecar-written file). Absent: today's static keys (access_key_id... or
 * credentials_file), unchanged.
 */
import { InvalidValue, describeValue } from './config-error.js';
import { resolveConfigPath } from './paths.js';
import type { SectionReader } from './section-reader.js';
import { CREDENTIAL_PROVIDERS } from './types.js';
import type { CredentialsSource } from './types.js';

const DEFAULT_METADATA_ENDPOINT = 'http://100.100.100.200';
const DEFAULT_STS_ENDPOINT = 'https://sts.aliyuncs.com';

function httpUrl(value: unknown): string {
  const text = typeof value === 'string' ? value.trim() : '';
  const url = URL.canParse(text) ? new URL(text) : undefined;
  if (url && (url.protocol === 'http:' || url.protocol === 'https:') && url.username === '' && url.password === '')
    return text.replace(/\/+$/, '');
  const got = text.includes('@') ? 'a value with "@" in it (credentials do not belong in the URL)' : describeValue(value);
  throw new InvalidValue(`expected an http:// or https:// URL without user or password, got ${got}`);
}

/** Reads the `credentials:` mapping at `section` (oss.credentials, or an assume_role's base). */
export function readCredentialsSource(section: SectionReader, baseDir: string, depth = 0): CredentialsSource | undefined {
  const source = readProvider(section, baseDir, depth);
  section.reportUnknownKeys();
  return source;
}

function readProvider(section: SectionReader, baseDir: string, depth: number): CredentialsSource | undefined {
  const provider = section.require(
    'provider',
    section.oneOf('provider', CREDENTIAL_PROVIDERS),
    `one of ${CREDENTIAL_PROVIDERS.join(', ')}`,
  );
  switch (provider) {
    case 'static':
      return { provider };
    case 'file': {
      const path = section.require('path', section.string('path'), 'the credentials file a sidecar rewrites (YAML or ossutil INI)');
      return path === undefined ? undefined : { provider, path: resolveConfigPath(path, baseDir, section.env) };
    }
    case 'credentials_uri': {
      const uri = section.require(
        'uri',
        section.parsed('uri', httpUrl),
        'the URL answering AccessKeyId, AccessKeySecret, SecurityToken, Expiration',
      );
      return uri === undefined ? undefined : { provider, uri };
    }
    case 'process': {
      const listed = section.stringList('command');
      // An empty list is reported as empty, like an empty string.
      const command = section.require(
        'command',
        listed?.length === 0 ? undefined : listed,
        'the program and its arguments, e.g. [/usr/local/bin/get-sts, --json]',
      );
      const timeoutMs = section.duration('timeout', { min: 100 }) ?? 30_000;
      return command === undefined ? undefined : { provider, command, timeoutMs };
    }
    case 'ecs_ram_role': {
      const roleName = section.string('role_name');
      const metadataEndpoint = section.parsed('metadata_endpoint', httpUrl) ?? DEFAULT_METADATA_ENDPOINT;
      return { provider, roleName, metadataEndpoint, hardenedOnly: section.boolean('hardened_only') ?? false };
    }
    case 'assume_role': {
      const roleArn = section.require(
        'role_arn',
        section.string('role_arn'),
        'the role to assume, e.g. acs:ram::123456789012****:role/backup',
      );
      const roleSessionName = section.string('role_session_name') ?? 'oss-sync';
      const durationMs = section.duration('duration', { min: 900_000 }) ?? 3_600_000;
      const policy = section.string('policy');
      const stsEndpoint = section.parsed('sts_endpoint', httpUrl) ?? DEFAULT_STS_ENDPOINT;
      const baseReader = section.section('base');
      if (!section.has('base'))
        section.sink.atKey(section.keyPath('base'), 'missing: the credentials AssumeRole is called with (a provider mapping)');
      if (depth > 0) section.sink.atKey(section.keyPath('base'), 'an assume_role inside an assume_role is not supported');
      const base = baseReader && depth === 0 ? readCredentialsSource(baseReader, baseDir, depth + 1) : undefined;
      if (roleArn === undefined || base === undefined) return undefined;
      return { provider, roleArn, roleSessionName, durationSeconds: Math.round(durationMs / 1000), policy, stsEndpoint, base };
    }
    default:
      return undefined;
  }
}
