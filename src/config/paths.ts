/** Path helpers: config-relative resolution with `~`, and containment checks. */
import { realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';

/** Resolves `~/x` against HOME and relative paths against baseDir (the config file's directory). */
export function resolveConfigPath(raw: string, baseDir: string, env: NodeJS.ProcessEnv): string {
  if ((raw === '~' || raw.startsWith('~/')) && env.HOME) return resolve(env.HOME, raw.slice(2));
  return resolve(baseDir, raw);
}

/** True when child is parent itself or somewhere below it. */
export function isInsideOrSame(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!isAbsolute(rel) && rel !== '..' && !rel.startsWith(`..${sep}`));
}

/**
 * The absolute path with symlinks resolved, so two spellings of one folder compare equal; for a path
 * that does not exist (an unmounted folder, a deleted file), those of its nearest existing parent.
 */
export function canonicalPath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    const parent = dirname(path);
    return parent === path ? path : join(canonicalPath(parent), basename(path));
  }
}
