import { readPrivateJson, writePrivateJson } from '../../lib/private-json-file.js';
import type { CredentialsState } from '../../uploader/index.js';

/**
 * What `status` (another process) shows of the running daemon's credentials: the provider, expiry,
 * last refresh and last error. Next to the state DB, mode 600; never a value (CredentialsState holds none).
 */
const credentialsStatusPath = (stateDb: string): string => `${stateDb}.credentials.json`;

export function writeCredentialsStatus(stateDb: string, state: CredentialsState): void {
  writePrivateJson(credentialsStatusPath(stateDb), state);
}

export function readCredentialsStatus(stateDb: string): CredentialsState | undefined {
  const data = readPrivateJson(credentialsStatusPath(stateDb)) as CredentialsState | undefined;
  return typeof data?.kind === 'string' ? data : undefined;
}
