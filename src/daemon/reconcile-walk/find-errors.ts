import type { WalkError } from '../watch/tree-walker.js';

/** What a line of find's standard error means for the walk. */
export type FindErrorLine =
  /** A path find could not read: kept like the in-process walk's errors. */
  | { kind: 'path'; error: WalkError }
  /** A path removed while find walked: not an error, as for the in-process walk (the root excepted). */
  | { kind: 'vanished'; relPath: string }
  /** Anything else: the walk cannot say what it missed. */
  | { kind: 'unknown'; line: string };

/** strerror() texts in the C locale, back to the codes the in-process walk reports. */
const CODES: Record<string, string> = {
  'Permission denied': 'EACCES',
  'Operation not permitted': 'EPERM',
  'Input/output error': 'EIO',
  'Too many levels of symbolic links': 'ELOOP',
  'Not a directory': 'ENOTDIR',
  'File name too long': 'ENAMETOOLONG',
  'Cannot allocate memory': 'ENOMEM',
  'Too many open files': 'EMFILE',
  'Stale file handle': 'ESTALE',
  'No such file or directory': 'ENOENT',
};

/**
 * Reads one line of GNU find's standard error, run with LC_ALL=C: `find: '/root/sub': Permission
 * denied`. Only lines about a path under `root` whose quoting is plain (no backslash escapes) are
 * understood; anything else is 'unknown', and the caller then trusts none of the walk.
 */
export function parseFindErrorLine(line: string, root: string): FindErrorLine {
  const match = /^find: '([^'\\]*)': ([^:]+)$/.exec(line);
  if (!match) return { kind: 'unknown', line };
  const [, path, message] = match as unknown as [string, string, string];
  let relPath: string;
  if (path === root) relPath = '';
  else if (path.startsWith(root === '/' ? '/' : `${root}/`)) relPath = path.slice(root === '/' ? 1 : root.length + 1);
  else return { kind: 'unknown', line };
  const code = CODES[message];
  if (code === 'ENOENT' && relPath !== '') return { kind: 'vanished', relPath };
  return { kind: 'path', error: { relPath, code: code ?? 'UNKNOWN', message: `${message}: ${path}` } };
}
