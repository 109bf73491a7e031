import { execFile } from 'node:child_process';
import { CredentialsFetchError, RefreshingCredentials } from '../../uploader/index.js';
import type { RefreshOptions } from '../../uploader/index.js';
import { credentialsFromJson } from './json-credentials.js';

const MAX_OUTPUT = 64 * 1024;

/**
 * The CLI's "external" mode: a command whose stdout is the credentials JSON. No shell: the command
 * is argv. Its stderr is never logged (it may echo a secret); a failure names the exit code.
 */
export function processProvider(command: string[], timeoutMs: number, options: RefreshOptions = {}): RefreshingCredentials {
  const [file, ...args] = command;
  const run = (): Promise<string> =>
    new Promise((resolve, reject) => {
      execFile(file!, args, { timeout: timeoutMs, maxBuffer: MAX_OUTPUT, windowsHide: true }, (err, stdout) => {
        if (!err) return resolve(stdout);
        const e = err as NodeJS.ErrnoException & { code?: number | string; killed?: boolean; signal?: string };
        const why = e.killed
          ? `was stopped after ${timeoutMs} ms`
          : typeof e.code === 'number'
            ? `exited with code ${e.code}`
            : e.signal
              ? `was killed by ${e.signal}`
              : `could not run (${String(e.code ?? 'error')})`;
        reject(new CredentialsFetchError(`the process provider: command ${file} ${why}`));
      });
    });
  return new RefreshingCredentials('process', async () => credentialsFromJson(await run(), 'process'), options);
}
