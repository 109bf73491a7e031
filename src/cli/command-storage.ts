import type { OssConfig } from '../config/index.js';
import { buildCredentialsProvider } from '../daemon/credentials/build-provider.js';
import type { Logger } from '../lib/logger.js';
import { createOssStorage, defaultRetryPolicy, Pacer, withRetries, type ObjectStorage } from '../uploader/index.js';

/**
 * OSS as a one-shot command (cleanup, verify, restore) talks to it: the daemon's credentials
 * provider (an STS token, a RAM role...), its secrets redacted from `logger` as they are fetched,
 * and its retries, paced for the endpoint as in the daemon. `close()` stops the provider's refresh timer.
 */
export function commandStorage(oss: OssConfig, logger: Logger): { storage: ObjectStorage; close: () => void } {
  const credentials = buildCredentialsProvider(oss, {
    onFetched: (c) => logger.addRotatingSecrets([c.accessKeySecret, c.securityToken]),
  });
  return {
    storage: withRetries(
      createOssStorage(oss, credentials),
      new Pacer({ maxRetryAfterMs: oss.retryMaxTimeMs }),
      defaultRetryPolicy({ maxTimeMs: oss.retryMaxTimeMs }),
    ),
    close: () => credentials.close(),
  };
}
