import { existsSync, readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { loadConfig, type Config, type FolderConfig } from '../config/index.js';

/** A bad command line: printed with the command's usage, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

type Options = NonNullable<ParseArgsConfig['options']>;

const COMMON_OPTIONS = { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } } as const;

/**
 * A command's flags (its own, --config and --help) by node:util parseArgs, its errors turned into
 * UsageError naming the flag. Undefined once --help has printed `usage`: the command exits 0.
 */
export function parseCommandArgs<O extends Options>(argv: string[], usage: string, options: O, allowPositionals = false) {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { ...COMMON_OPTIONS, ...options }, allowPositionals, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message.replace(/^TypeError \[[A-Z_]+\]: /, ''));
  }
  if (!(parsed.values as { help?: boolean }).help) return parsed;
  process.stdout.write(usage);
  return undefined;
}

/** A flag's value by parse(); what parse throws becomes a UsageError naming the flag. */
export function flagValue<T>(flag: string, raw: string, parse: (raw: string) => T): T {
  try {
    return parse(raw);
  } catch (err) {
    throw new UsageError(`--${flag}: ${(err as Error).message}`);
  }
}

export function findFolder(folders: readonly FolderConfig[], name: string): FolderConfig {
  const folder = folders.find((f) => f.name === name);
  if (!folder)
    throw new UsageError(`--folder: no folder named '${name}' in the configuration (folders: ${folders.map((f) => f.name).join(', ')})`);
  return folder;
}

/** The configuration of a command that only reads the state database or the bucket (see ParseOptions.purpose). */
export function loadInspectConfig(flag: string | undefined): Config {
  return loadConfig(resolveConfigPath(flag), process.env, { purpose: 'inspect' });
}

/** --config, else $OSS_SYNC_CONFIG, else /etc/oss-sync/config.yaml when it exists. */
export function resolveConfigPath(flag: string | undefined): string {
  if (flag) return flag;
  const fromEnv = process.env.OSS_SYNC_CONFIG;
  if (fromEnv) return fromEnv;
  if (existsSync('/etc/oss-sync/config.yaml')) return '/etc/oss-sync/config.yaml';
  throw new UsageError('no configuration: pass --config FILE (or set OSS_SYNC_CONFIG)');
}

/** The package version, for logs and `status` (read at most twice a run: no cache needed). */
export function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
