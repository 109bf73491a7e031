/** Path helpers: config-relative resolution with `~`, containment checks, the default state database. */
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

const SERVICE_STATE_DB = '/var/lib/oss-sync/state.db';

/**
 * Where the state database lives when the config does not say: systemd's StateDirectory= wins; a
 * root service (INVOCATION_ID set) uses /var/lib; otherwise the XDG state directory; root with no
 * home falls back to /var/lib. Undefined when nothing fits.
 */
export function defaultStateDbPath(env: NodeJS.ProcessEnv, uid: number | undefined): string | undefined {
  const stateDirectory = env.STATE_DIRECTORY?.split(':')[0];
  if (stateDirectory) return join(stateDirectory, 'state.db');
  if (env.INVOCATION_ID && uid === 0) return SERVICE_STATE_DB;
  if (env.XDG_STATE_HOME) return join(env.XDG_STATE_HOME, 'oss-sync', 'state.db');
  if (env.HOME) return join(env.HOME, '.local', 'state', 'oss-sync', 'state.db');
  if (uid === 0) return SERVICE_STATE_DB;
  return undefined;
}
