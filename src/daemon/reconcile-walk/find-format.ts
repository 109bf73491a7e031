import { RECONCILE_KEY_FIND_FORMAT } from '../../store/reconcile-key.js';

/**
 * What a FindWalk asks GNU find for: one NUL-terminated record per regular file, its device and
 * then its reconcile key exactly as the state store writes it (RECONCILE_KEY_FIND_FORMAT).
 * This thread then only splits find's output: no parsing, no BigInt, no stat object per file.
 */
export const FIND_RECORD_FORMAT = `%D ${RECONCILE_KEY_FIND_FORMAT}\\0`;

/** One file as find printed it: its reconcile key, and its device, which the key leaves out. */
export interface FindRecord {
  key: string;
  dev: string;
}

/** What find printed for a directory it pruned: `P <relDir>`. File records start with a digit. */
export const PRUNED_PREFIX = 'P ';

/** Splits one record (without its NUL); undefined when it is not in FIND_RECORD_FORMAT's shape. */
export function parseFindRecord(record: string): FindRecord | undefined {
  const space = record.indexOf(' ');
  if (space < 1 || record.indexOf('/', space) < 0) return undefined;
  return { dev: record.slice(0, space), key: record.slice(space + 1) };
}

/**
 * Exclude globs find may prune by `-name`: plain ASCII names, with `*` at most. Even these may
 * match a little differently from the filter's picomatch (`*.*` and a name ending in '.'), so
 * find prints each directory it prunes and FindWalk checks it against the filter: a pruned
 * directory the filter keeps makes the walk incomplete, never a silent hole.
 */
const PRUNABLE_NAME_GLOB = /^[A-Za-z0-9._ *-]+$/;

/**
 * Arguments that make find skip the excluded directories it can recognise on its own: basename
 * globs like `node_modules` or `*.cache`. They only save time; every path is still checked
 * against the folder's filter, which also applies the globs find cannot (paths, braces...).
 */
export function findPruneArgs(excludeGlobs: readonly string[]): string[] {
  const names = excludeGlobs.filter((glob) => PRUNABLE_NAME_GLOB.test(glob));
  if (names.length === 0) return [];
  const nameTests = names.flatMap((name, i) => (i === 0 ? ['-name', name] : ['-o', '-name', name]));
  return ['(', '-type', 'd', '(', ...nameTests, ')', '-printf', `${PRUNED_PREFIX}%P\\0`, '-prune', ')', '-o'];
}

/** The whole argument list: every regular file under root, with excluded directories pruned where find can. */
export function findArgs(root: string, excludeGlobs: readonly string[]): string[] {
  // -H: a root that is a symlink is followed, as opening it does; nothing below it is.
  // -mindepth 1: the root itself is never pruned, whatever its name.
  return ['-H', root, '-mindepth', '1', ...findPruneArgs(excludeGlobs), '-type', 'f', '-printf', FIND_RECORD_FORMAT];
}
