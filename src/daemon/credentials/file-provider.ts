import { unwatchFile, watchFile } from 'node:fs';
import { readCredentialsFile } from '../../config/credentials-file.js';
import { CredentialsFetchError, RefreshingCredentials } from '../../uploader/index.js';
import type { RefreshOptions } from '../../uploader/index.js';

/** How often the file's stat is polled: a stat poll also sees a sidecar's rename-into-place. */
const POLL_MS = 1000;

/**
 * The credentials file (YAML or ossutil INI, as credentials_file), re-read when it changes (and when
 * OSS refuses its token; a SIGHUP builds a new provider). It says no expiry: it is used until the
 * file changes.
 */
export function fileProvider(path: string, options: RefreshOptions & { pollMs?: number } = {}): RefreshingCredentials {
  const provider = new RefreshingCredentials(
    'file',
    async () => {
      try {
        const c = readCredentialsFile(path);
        return { accessKeyId: c.accessKeyId!, accessKeySecret: c.accessKeySecret!, ...(c.stsToken ? { securityToken: c.stsToken } : {}) };
      } catch (err) {
        throw new CredentialsFetchError(`the file provider: ${(err as Error).message}`);
      }
    },
    options,
  );
  const onChange = (): void => void provider.refreshNow().catch(() => undefined);
  watchFile(path, { interval: options.pollMs ?? POLL_MS, persistent: false }, onChange);
  provider.onClose(() => unwatchFile(path, onChange));
  return provider;
}
