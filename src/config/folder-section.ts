/** One entry of `folders:`: a local directory and where its files go in OSS; and the glob lists (theirs, and `ignore:`). */
import { statSync } from 'node:fs';
import picomatch from 'picomatch';
import { InvalidValue, describeValue } from './config-error.js';
import { readObjectHeaders } from './object-headers-section.js';
import { checkBucket, normaliseKeyPrefix } from './oss-names.js';
import { resolveConfigPath } from './paths.js';
import type { SectionReader } from './section-reader.js';
import { DELETE_POLICIES, STORAGE_CLASSES, WATCHERS } from './types.js';
import type { FolderConfig } from './types.js';

export interface FolderDefaults {
  partSize: number;
  watcher: FolderConfig['watcher'];
  baseDir: string;
  /** False for read-only inspection (`status`, `retry`): an unmounted folder must not hide the queue. */
  checkFolders: boolean;
  /** Paths whose absence is not an error (see ParseOptions.mayBeMissing). */
  mayBeMissing?: ReadonlySet<string>;
}

/** A folder as read; name is filled in later, once every explicit name is known. */
export interface ReadFolder {
  keyPath: string;
  explicitName?: string;
  config: Omit<FolderConfig, 'name'>;
  /** False when a required field was missing or invalid: skip cross-folder checks. */
  complete: boolean;
  /** The folder sets its own part_size (else it has the global one): where a too-big part is reported. */
  partSizeSet: boolean;
}

export const PART_SIZE_LIMITS = { min: 100 * 1024, max: 5 * 2 ** 30 };

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

function checkName(value: unknown): string {
  if (typeof value === 'string' && NAME.test(value)) return value;
  throw new InvalidValue(
    `${describeValue(value)}: folder names use letters, digits, ".", "_" and "-" (at most 64), starting with a letter or digit`,
  );
}

function checkDirectory(path: string, mayBeMissing: ReadonlySet<string> | undefined): string {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(path).isDirectory();
  } catch {
    if (mayBeMissing?.has(path)) return path;
    throw new InvalidValue(`folder ${path} does not exist (create it, or fix the path)`);
  }
  if (!isDirectory) throw new InvalidValue(`${path} is not a directory`);
  return path;
}

/** `max_deletes`: a whole number of deletes (0 pauses every delete), or a share of the folder like "10%". */
function parseMaxDeletes(value: unknown): FolderConfig['maxDeletes'] {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return { count: value };
  const share = typeof value === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(value) : null;
  if (share && Number(share[1]) <= 100) return { share: Number(share[1]) / 100 };
  throw new InvalidValue(`expected a whole number of deletes or a share of the folder like "10%", got ${describeValue(value)}`);
}

function checkGlob(glob: string): void {
  if (glob.startsWith('/')) throw new InvalidValue(`glob "${glob}" is absolute; globs are relative to the folder`);
  if (glob.split('/').includes('..')) throw new InvalidValue(`glob "${glob}" leaves the folder with ".."`);
  try {
    picomatch.makeRe(glob, { strictBrackets: true });
  } catch (error) {
    throw new InvalidValue(`glob "${glob}" is not valid: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** An include/exclude/ignore glob list at key (picomatch syntax, relative to the folder), each entry checked; [] when absent. */
export function readGlobs(section: SectionReader, key: string): string[] {
  const globs = section.stringList(key) ?? [];
  return (
    section.parsed(key, () => {
      globs.forEach(checkGlob);
      return globs;
    }) ?? []
  );
}

export function readFolder(folder: SectionReader, defaults: FolderDefaults): ReadFolder {
  const explicitName = folder.parsed('name', checkName);
  const rawPath = folder.require('path', folder.string('path'), 'the local directory to back up');
  const path =
    rawPath === undefined
      ? undefined
      : folder.parsed('path', () => {
          const resolved = resolveConfigPath(rawPath, defaults.baseDir, folder.env);
          return defaults.checkFolders ? checkDirectory(resolved, defaults.mayBeMissing) : resolved;
        });
  const bucket = folder.require('bucket', folder.parsed('bucket', checkBucket), 'the OSS bucket to upload to');
  const prefix = folder.parsed('prefix', normaliseKeyPrefix);
  const prefixValid = prefix !== undefined || !folder.has('prefix');
  const config = {
    path: path ?? '',
    bucket: bucket ?? '',
    prefix: prefix ?? '',
    include: readGlobs(folder, 'include'),
    exclude: readGlobs(folder, 'exclude'),
    deletePolicy: folder.oneOf('delete_policy', DELETE_POLICIES) ?? 'keep',
    partSize: folder.size('part_size', PART_SIZE_LIMITS) ?? defaults.partSize,
    storageClass: folder.oneOf('storage_class', STORAGE_CLASSES),
    watcher: folder.oneOf('watcher', WATCHERS) ?? defaults.watcher,
    ...readObjectHeaders(folder),
    maxDeletes: folder.parsed('max_deletes', parseMaxDeletes),
    deleteDelayMs: folder.duration('delete_delay', { min: 0 }),
  };
  folder.reportUnknownKeys();
  const complete = path !== undefined && bucket !== undefined && prefixValid;
  return { keyPath: folder.path, explicitName, config, complete, partSizeSet: folder.has('part_size') };
}
