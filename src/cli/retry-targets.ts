import { relative, resolve } from 'node:path';
import { canonicalPath, type FolderConfig } from '../config/index.js';
import { UsageError } from './args.js';

export interface RetryTarget {
  folder: string;
  /** '' for the whole folder. */
  relPath: string;
}

/**
 * What a `retry` PATH names: a file or directory inside a folder, however it is spelled (relative,
 * through a symlink), or `folder/path` as `status` prints it.
 */
export function retryTarget(folders: readonly FolderConfig[], arg: string): RetryTarget {
  const abs = canonicalPath(resolve(arg));
  for (const folder of folders) {
    const root = canonicalPath(folder.path);
    if (abs === root || abs.startsWith(`${root}/`)) return { folder: folder.name, relPath: relative(root, abs) };
  }
  const slash = arg.indexOf('/');
  const named = folders.find((folder) => folder.name === (slash === -1 ? arg : arg.slice(0, slash)));
  if (named) return { folder: named.name, relPath: slash === -1 ? '' : arg.slice(slash + 1).replace(/\/+$/, '') };
  throw new UsageError(`${arg} is not inside any configured folder (give a path under one, or folder/path as status shows it)`);
}
