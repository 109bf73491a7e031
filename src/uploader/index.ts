/** The uploader's public API: storage, retries, the file uploader, its errors and the journal contract. */
export { createOssStorage, OssStorage } from './oss-storage.js';
export type { OssConnectionOptions } from './ali-oss-client.js';
export type {
  Body,
  BucketVersioning,
  CompletedPart,
  DeletedObject,
  GetOptions,
  ListedObject,
  ListedPart,
  ListedUpload,
  ListedVersion,
  LifecycleRule,
  NewObjectOptions,
  ObjectDownload,
  ObjectInfo,
  ObjectRef,
  ObjectStorage,
  RequestOptions,
  RestoreRequestResult,
  StoredChecksums,
} from './object-storage.js';
export { withRetries, retryCall } from './retrying-storage.js';
export { withLimits } from './throttled-storage.js';
export type { StorageLimits } from './throttled-storage.js';
export { BandwidthLimiter } from './bandwidth-limiter.js';
export type { LimiterClock } from './bandwidth-limiter.js';
export { UploadGate } from './upload-gate.js';
export { classifyError, defaultRetryPolicy, DEFAULT_RETRY_MAX_TIME_MS, isEndpointTrouble } from './retry-policy.js';
export type { ErrorDisposition, RetryEvent, RetryPolicy } from './retry-policy.js';
export { Pacer, DEFAULT_PACING } from './pacer.js';
export type { PacingOptions } from './pacer.js';
export { FileUploader, UNBUDGETED_PUT_BYTES } from './file-uploader.js';
export { MemoryBudget } from './memory-budget.js';
export type { FileUploaderEvents, FileUploaderOptions, ProgressEvent, UploadRequest } from './file-uploader.js';
export { choosePartSize, planParts, MAX_PARTS, MIN_PART_SIZE, MAX_PART_SIZE } from './part-plan.js';
export type { PlannedPart } from './part-plan.js';
export {
  FatalError,
  FileChangedError,
  FileGoneError,
  FileRefusedError,
  FileReplacedError,
  IntegrityError,
  PermanentError,
  RetryAfterError,
  StorageError,
  TransientFileError,
  UploadAbortedError,
  localFileError,
  storageErrorCode,
} from './errors.js';
export { openFolderFile } from './folder-file.js';
export { etagHex, fileMeta } from './upload-context.js';
export type { FileIdentity, FolderFile } from './folder-file.js';
export type { FileFingerprint, RecordedPart, RecordedUpload, UploadJournal, UploadOutcome, UploadResult } from './journal.js';
export { CredentialsFetchError, CredentialsUnavailableError, RefreshingCredentials, staticCredentials } from './credentials-provider.js';
export type { CredentialsProvider, CredentialsState, OssCredentials, RefreshOptions } from './credentials-provider.js';
