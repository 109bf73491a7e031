import { existsSync, readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A bad command line: printed with the command's usage, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** node:util parseArgs, with its errors turned into UsageError naming the flag. */
export function parseCommandArgs<O extends Options>(argv: string[], options: O, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message.replace(/^TypeError \[[A-Z_]+\]: /, ''));
  }
}

export const CONFIG_OPTION = { config: { type: 'string', short: 'c' } } as const;

/** --config, else $OSS_SYNC_CONFIG, else /etc/oss-sync/config.yaml when it exists. */
export function resolveConfigPath(flag: string | undefined): string {
  if (flag) return flag;
  const fromEnv = process.env.OSS_SYNC_CONFIG;
  if (fromEnv) return fromEnv;
  if (existsSync('/etc/oss-sync/config.yaml')) return '/etc/oss-sync/config.yaml';
  throw new UsageError('no configuration: pass --config FILE (or set OSS_SYNC_CONFIG)');
}

let cachedVersion: string | undefined;

/** The package version, for logs and `status`. */
export function packageVersion(): string {
  if (cachedVersion === undefined) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string };
      cachedVersion = pkg.version ?? 'unknown';
    } catch {
      cachedVersion = 'unknown';
    }
  }
  return cachedVersion;
}
