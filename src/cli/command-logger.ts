import type { Config } from '../config/index.js';
import { Logger, type LoggerOptions } from '../lib/logger.js';

/**
 * The logger of a command that runs with a config (run, once, demo, and the one-shot commands'
 * storage): the config's level, and every credential (the AccessKey secret, the STS token)
 * registered as a secret before the first line is written, so no line can carry one. The config's
 * warnings are logged right away. One function, so the commands cannot drift apart.
 */
export function commandLogger(
  config: Pick<Config, 'oss' | 'logLevel' | 'warnings'>,
  options: Pick<LoggerOptions, 'pretty' | 'write'> = {},
): Logger {
  const secrets = [config.oss.accessKeySecret, config.oss.stsToken].filter((s): s is string => typeof s === 'string' && s.length > 0);
  const logger = new Logger({ ...options, level: config.logLevel, secrets });
  for (const w of config.warnings) logger.warn(w);
  return logger;
}
