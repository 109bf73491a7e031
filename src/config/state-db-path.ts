/** Where the state database lives when the config does not say. Pure: environment in, path out. */
import { join } from 'node:path';

export const SERVICE_STATE_DB = '/var/lib/oss-sync/state.db';

/**
 * systemd's StateDirectory= wins; a root service (INVOCATION_ID set) uses /var/lib; otherwise the
 * XDG state directory; root with no home falls back to /var/lib. Undefined when nothing fits.
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
