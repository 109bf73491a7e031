import { sep } from 'node:path';

/**
 * The OSS key of a file: the folder's prefix ('' or ending in '/') + its path with '/' separators.
 * Only on Windows is '\' a separator; elsewhere it is part of a name (`a\b.txt` and `a/b.txt` differ).
 */
export function objectKey(prefix: string, relPath: string): string {
  return prefix + (sep === '\\' ? relPath.split('\\').join('/') : relPath);
}
