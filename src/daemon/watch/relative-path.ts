/** path relative to root with '/' separators: '' for the root itself, undefined outside it. */
export function relativeTo(root: string, path: string): string | undefined {
  if (path === root) return '';
  const base = root === '/' ? root : `${root}/`;
  return path.startsWith(base) ? path.slice(base.length) : undefined;
}

/** The parent of a relative path: '' for top-level entries. */
export function parentDir(relPath: string): string {
  const slash = relPath.lastIndexOf('/');
  return slash === -1 ? '' : relPath.slice(0, slash);
}
