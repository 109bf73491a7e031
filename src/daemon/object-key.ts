/** The OSS key of a file: the folder's prefix ('' or ending in '/') + its path with '/' separators. */
export function objectKey(prefix: string, relPath: string): string {
  return prefix + relPath.split('\\').join('/');
}
