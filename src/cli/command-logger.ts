import type { Config } from '../config/index.js';
import { Logger, type LoggerOptions } from '../lib/logger.js';

/** Every credential of a config that must never be printed: the AccessKey secret and the STS token. */
export function configSecrets(config: Pick<Config, 'oss'>): string[] {
  return [config.oss.accessKeySecret, config.oss.stsToken].filter((s): s is string => typeof s === 'string' && s.length > 0);
}

/**
 * The logger of a command that runs with a config (run, once, demo): the config's level, and every
 * credential registered as a secret before the first line is written, so no line can carry one.
 * The config's warnings are logged right away. One function, so the commands cannot drift apart.
 */
export function commandLogger(config: Config, options: Pick<LoggerOptions, 'pretty' | 'write'> = {}): Logger {
  const logger = new Logger({ ...options, level: config.logLevel, secrets: configSecrets(config) });
  for (const w of config.warnings) logger.warn(w);
  return logger;
}
