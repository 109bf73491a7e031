import type { Config } from '../config/index.js';
import { buildCredentialsProvider } from '../daemon/credentials/build-provider.js';
import { socketsFor } from '../daemon/transfer-stack.js';
import { Logger, type LoggerOptions } from '../lib/logger.js';
import { StateStore } from '../store/index.js';
import { createOssStorage, defaultRetryPolicy, Pacer, withRetries, type ObjectStorage } from '../uploader/index.js';

/** What a command's logger reads of the config. */
type CommandConfig = Pick<Config, 'oss' | 'logLevel' | 'warnings'>;

/**
 * The logger of a command that runs with a config (run, once, demo, and the one-shot commands'
 * storage): the config's level, and every credential (the AccessKey secret, the STS token)
 * registered as a secret before the first line is written, so no line can carry one. The config's
 * warnings are logged right away. One function, so the commands cannot drift apart.
 */
export function commandLogger(config: CommandConfig, options: Pick<LoggerOptions, 'pretty' | 'write'> = {}): Logger {
  const secrets = [config.oss.accessKeySecret, config.oss.stsToken].filter((s): s is string => typeof s === 'string' && s.length > 0);
  const logger = new Logger({ ...options, level: config.logLevel, secrets });
  for (const w of config.warnings) logger.warn(w);
  return logger;
}

/**
 * OSS as a one-shot command (cleanup, verify, restore) talks to it: the daemon's credentials
 * provider (an STS token, a RAM role...) and its retries, paced for the endpoint as in the daemon.
 * Warnings (the config's, a credentials provider failing) go to stderr, with every secret redacted,
 * those the provider fetches too. `close()` stops the provider's refresh timer.
 */
export function commandStorage(config: CommandConfig & Pick<Config, 'concurrency'>): {
  storage: ObjectStorage;
  logger: Logger;
  close: () => void;
} {
  const logger = commandLogger(config, { pretty: false, write: (line) => process.stderr.write(`${line}\n`) });
  logger.setLevel('warn');
  const credentials = buildCredentialsProvider(config.oss, {
    onFetched: (c) => logger.addRotatingSecrets([c.accessKeySecret, c.securityToken]),
  });
  return {
    storage: withRetries(
      createOssStorage({ ...config.oss, maxSockets: socketsFor(config.concurrency) }, credentials),
      new Pacer(),
      defaultRetryPolicy({ maxTimeMs: config.oss.retryMaxTimeMs }),
    ),
    logger,
    close: () => credentials.close(),
  };
}

/** Runs a one-shot command's work with the state database open and OSS as commandStorage() reaches it; closes both after. */
export async function withStoreAndStorage<T>(
  config: CommandConfig & Pick<Config, 'stateDb' | 'concurrency'>,
  work: (store: StateStore, oss: ReturnType<typeof commandStorage>) => Promise<T>,
): Promise<T> {
  const store = StateStore.open(config.stateDb);
  const oss = commandStorage(config);
  try {
    return await work(store, oss);
  } finally {
    store.close();
    oss.close();
  }
}
