import type { Config } from '../config/index.js';
import { buildCredentialsProvider } from '../daemon/credentials/build-provider.js';
import type { Logger } from '../lib/logger.js';
import { createOssStorage, defaultRetryPolicy, Pacer, withRetries, type ObjectStorage } from '../uploader/index.js';
import { commandLogger } from './command-logger.js';

/**
 * OSS as a one-shot command (cleanup, verify, restore) talks to it: the daemon's credentials
 * provider (an STS token, a RAM role...) and its retries, paced for the endpoint as in the daemon.
 * Warnings (the config's, a credentials provider failing) go to stderr, with every secret redacted,
 * those the provider fetches too. `close()` stops the provider's refresh timer.
 */
export function commandStorage(config: Pick<Config, 'oss' | 'logLevel' | 'warnings'>): {
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
      createOssStorage(config.oss, credentials),
      new Pacer(),
      defaultRetryPolicy({ maxTimeMs: config.oss.retryMaxTimeMs }),
    ),
    logger,
    close: () => credentials.close(),
  };
}
