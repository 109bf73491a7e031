/**
 * Credentials kept out of the config: a small YAML file (access_key_id, access_key_secret,
 * sts_token) or an ossutil-style INI file (accessKeyID, accessKeySecret, stsToken). Like ssh, it
 * is refused when other users can read it.
 */
import { readFileSync, statSync } from 'node:fs';
import { parse } from 'yaml';
import { InvalidValue } from './invalid-value.js';

export interface FileCredentials {
  accessKeyId?: string;
  accessKeySecret?: string;
  stsToken?: string;
}

/** Field names compared without case, '_' or '-', so every common spelling is accepted. */
const FIELDS: Record<string, keyof FileCredentials> = {
  accesskeyid: 'accessKeyId',
  accesskeysecret: 'accessKeySecret',
  ststoken: 'stsToken',
  securitytoken: 'stsToken',
};

function normalise(entries: Iterable<[string, unknown]>): FileCredentials {
  const credentials: FileCredentials = {};
  for (const [key, value] of entries) {
    const field = FIELDS[key.replace(/[-_]/g, '').toLowerCase()];
    if (field && typeof value === 'string' && value.trim() !== '') credentials[field] = value.trim();
  }
  return credentials;
}

function parseIni(text: string): [string, string][] {
  const entries: [string, string][] = [];
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*([\w.-]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (match?.[1] !== undefined && match[2] !== undefined) entries.push([match[1], match[2]]);
  }
  return entries;
}

function parseContent(text: string, path: string): FileCredentials {
  if (/^\s*\[[^\]]+\]\s*$/m.test(text) || /^\s*[\w.-]+\s*=/m.test(text)) return normalise(parseIni(text));
  let data: unknown;
  try {
    data = parse(text);
  } catch {
    // The parser's message may quote the file's content: never echo it.
    throw new InvalidValue(`credentials file ${path} is neither valid YAML nor INI`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new InvalidValue(`credentials file ${path} must hold access_key_id and access_key_secret`);
  }
  return normalise(Object.entries(data));
}

export function readCredentialsFile(path: string): FileCredentials {
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch {
    throw new InvalidValue(`credentials file ${path} does not exist or cannot be read`);
  }
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    const octal = (mode & 0o777).toString(8).padStart(3, '0');
    throw new InvalidValue(`credentials file ${path} is readable by other users (mode ${octal}); run: chmod 600 ${path}`);
  }
  const credentials = parseContent(readFileSync(path, 'utf8'), path);
  if (!credentials.accessKeyId || !credentials.accessKeySecret) {
    throw new InvalidValue(`credentials file ${path} must set both access_key_id and access_key_secret`);
  }
  return credentials;
}
