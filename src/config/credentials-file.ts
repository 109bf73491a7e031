/**
 * Credentials kept out of the config: a small YAML file (access_key_id, access_key_secret,
 * sts_token) or an ossutil-style INI file (accessKeyID, accessKeySecret, stsToken). Like ssh, it
 * is refused when other users can read it.
 */
import { closeSync, constants, fstatSync, openSync, readFileSync, type Stats } from 'node:fs';
import { parse } from 'yaml';
import { InvalidValue } from './config-error.js';
import type { OssConfig } from './types.js';

export type FileCredentials = Partial<Pick<OssConfig, 'accessKeyId' | 'accessKeySecret' | 'stsToken'>>;

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

/** An INI `key = value` line (section headers and comments match nothing). */
const INI_ENTRY = /^[ \t]*([\w.-]+)[ \t]*=[ \t]*(.*?)[ \t\r]*$/gm;

function parseContent(text: string, path: string): FileCredentials {
  if (/^\s*\[[^\]]+\]\s*$/m.test(text) || /^\s*[\w.-]+\s*=/m.test(text))
    return normalise([...text.matchAll(INI_ENTRY)].map((m) => [m[1]!, m[2]!]));
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

function kindOf(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO (named pipe)';
  if (stats.isSocket()) return 'a socket';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

/**
 * Reads the file through one descriptor, opened with O_NONBLOCK and checked with fstat before any
 * read: a FIFO would block open() and read() forever (run, once and status would hang), a directory
 * would fail with a bare EISDIR. Only a regular file is read. A symlink is followed (secrets
 * mounted by Kubernetes or systemd credentials are symlinks); what it points to must be regular.
 */
export function readCredentialsFile(path: string): FileCredentials {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'does not exist'
        : code === 'EACCES' || code === 'EPERM'
          ? 'cannot be read (permission denied)'
          : `cannot be opened (${code ?? 'error'})`;
    throw new InvalidValue(`credentials file ${path} ${why}`);
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw new InvalidValue(`credentials file ${path} is ${kindOf(stats)}; expected a regular file`);
    if (process.platform !== 'win32' && (stats.mode & 0o077) !== 0) {
      const octal = (stats.mode & 0o777).toString(8).padStart(3, '0');
      throw new InvalidValue(`credentials file ${path} is readable by other users (mode ${octal}); run: chmod 600 ${path}`);
    }
    let text: string;
    try {
      text = readFileSync(fd, 'utf8');
    } catch (err) {
      throw new InvalidValue(`credentials file ${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    const credentials = parseContent(text, path);
    if (!credentials.accessKeyId || !credentials.accessKeySecret) {
      throw new InvalidValue(`credentials file ${path} must set both access_key_id and access_key_secret`);
    }
    return credentials;
  } finally {
    closeSync(fd);
  }
}
