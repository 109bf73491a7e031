import type { Config } from '../config/index.js';
import {
  createOssStorage,
  defaultRetryPolicy,
  FileUploader,
  Pacer,
  withLimits,
  withRetries,
  type BandwidthLimiter,
  type CredentialsProvider,
  type MemoryBudget,
  type ObjectStorage,
  type RetryEvent,
  type UploadGate,
} from '../uploader/index.js';
import { buildCredentialsProvider } from './credentials/build-provider.js';
import { Adoption } from './adoption.js';
import { RenameDetector } from './rename-detector.js';
import { TransferWorker, type TransferWorkerOptions } from './transfer-worker.js';

/** Sockets beyond the body requests in flight: heads, lists, completes and deletes alongside them. */
const SOCKETS_FOR_OTHER_REQUESTS = 8;

/** What a transfer stack is built with besides the config: the daemon's long-lived parts and callbacks. */
export interface TransferStackParts extends Pick<
  TransferWorkerOptions,
  'store' | 'logger' | 'verified' | 'folder' | 'onFatal' | 'onStoreError' | 'onGone' | 'outlastOutages'
> {
  /** The upload window and bandwidth limit: one of each for the daemon's life. */
  gate: UploadGate;
  limiter: BandwidthLimiter;
  /** One for the daemon's life, so uploads of an old and a new stack count together. */
  memory: MemoryBudget;
  onRetry: (event: RetryEvent) => void;
  /** Tests only: a ready storage in place of the OSS client (the layers above it are built as ever). */
  storage?: ObjectStorage | undefined;
  /** The credentials provider warned (a provider down). */
  onCredentialsWarn: (message: string) => void;
  /** Called with the provider that renewed: one of a replaced stack is no longer the daemon's. */
  onCredentialsRefreshed: (provider: CredentialsProvider) => void;
}

/** Credentials → OSS client → retries → limits (window, bandwidth) → uploader → worker: rebuilt together on reload. */
export interface TransferStack {
  credentials: CredentialsProvider;
  storage: ObjectStorage;
  worker: TransferWorker;
  /** At start-up, what OSS already holds at a new folder's keys is recorded, not uploaded. */
  adoption: Adoption;
}

/**
 * The sockets a client keeps: one per body request in flight at most, and a few for the rest. A
 * request waiting for a socket has its connect timeout (oss.timeout) running: it could time out unsent.
 */
export function socketsFor(concurrency: Config['concurrency']): number {
  return bodyRequestsInFlight(concurrency) + SOCKETS_FOR_OTHER_REQUESTS;
}

/** Body requests in flight at most: small files, and large files' parts. */
function bodyRequestsInFlight(concurrency: Config['concurrency']): number {
  return concurrency.smallFiles + concurrency.files * concurrency.partsPerFile;
}

/**
 * Builds the transfer stack from the config: the one place the layers are put together. Requests in
 * flight on an older stack keep its credentials until they expire; the caller closes its provider.
 */
export function buildTransferStack(c: Config, parts: TransferStackParts): TransferStack {
  const { logger } = parts;
  const credentials = buildCredentialsProvider(c.oss, {
    onWarn: parts.onCredentialsWarn,
    // Registered before anything can log them: called before the fetch resolves (base credentials too).
    onFetched: (fresh) => logger.addRotatingSecrets([fresh.accessKeySecret, fresh.securityToken]),
  });
  credentials.onRefresh(() => parts.onCredentialsRefreshed(credentials));
  const onRetry = (event: RetryEvent): void => {
    // A blip is routine (debug); a request still failing after a few tries is worth a look.
    const { operation, attempt, delayMs, error } = event;
    logger[attempt >= 3 ? 'warn' : 'debug']('request failed; retrying', { operation, attempt, retryInMs: delayMs, error: error as Error });
    parts.onRetry(event);
  };
  const inFlight = bodyRequestsInFlight(c.concurrency);
  // One Pacer per storage: requests meeting SlowDown together slow the whole client down once.
  const retrying = withRetries(
    parts.storage ?? createOssStorage({ ...c.oss, maxSockets: socketsFor(c.concurrency) }, credentials),
    new Pacer(),
    defaultRetryPolicy({ onRetry, maxTimeMs: c.oss.retryMaxTimeMs }),
  );
  const storage = withLimits(retrying, {
    gate: parts.gate,
    limiter: parts.limiter,
    bodySlots: inFlight,
    ossTrafficLimit: c.timetable?.ossTrafficLimit ?? false,
    onCutOff: (operation, ref) =>
      logger.info('request cut off by the upload window; sent again when it opens', { operation, key: ref.key }),
  });
  const uploader = new FileUploader(storage, {
    partSize: c.partSize,
    multipartThreshold: c.multipartThreshold,
    partConcurrency: c.concurrency.partsPerFile,
    memoryBudget: parts.memory,
  });
  const renames = new RenameDetector({ store: parts.store, storage, logger, settleMs: c.settleMs });
  const worker = new TransferWorker({
    ...parts,
    uploader,
    storage,
    serverSide: (row, folder) => renames.tryCopy(row, folder),
    maxAttempts: c.maxAttempts,
    liveBackoffBaseMs: Math.max(1_000, c.settleMs), // a file changing under its upload is tried again after the settle window
  });
  return { credentials, storage, worker, adoption: new Adoption({ store: parts.store, storage, logger }) };
}

/** The config settings a transfer stack is built from: a reload rebuilds it when one of them changed. */
export function transferStackSettings(c: Config): unknown[] {
  return [
    c.oss,
    c.concurrency.files,
    c.concurrency.smallFiles,
    c.concurrency.partsPerFile,
    c.timetable?.ossTrafficLimit,
    c.partSize,
    c.multipartThreshold,
    c.maxAttempts,
    c.settleMs,
  ];
}
