import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { CredentialsState } from '../../uploader/index.js';

/**
 * What `status` (another process) shows of the running daemon's credentials: the provider, expiry,
 * last refresh and last error. Next to the state DB, mode 600; never a value (CredentialsState holds none).
 */
export function credentialsStatusPath(stateDb: string): string {
  return `${stateDb}.credentials.json`;
}

export function writeCredentialsStatus(stateDb: string, state: CredentialsState): void {
  const path = credentialsStatusPath(stateDb);
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(state)}\n`, { mode: 0o600 });
  renameSync(temp, path); // readers see the old or the new state, never half of one
}

export function readCredentialsStatus(stateDb: string): CredentialsState | undefined {
  try {
    const data = JSON.parse(readFileSync(credentialsStatusPath(stateDb), 'utf8')) as CredentialsState;
    return typeof data.kind === 'string' ? data : undefined;
  } catch {
    return undefined;
  }
}
