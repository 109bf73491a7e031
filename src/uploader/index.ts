/** The uploader's public API: storage, retries, the file uploader, its errors and the journal contract. */
export { createOssStorage } from './oss-storage.js';
export type { Body, ListedObject, ListedVersion, LifecycleRule, ObjectDownload, ObjectRef, ObjectStorage } from './object-storage.js';
export { listObjectPages, listObjects, untilAborted } from './object-listing.js';
export { withRetries } from './retrying-storage.js';
export { withLimits } from './throttled-storage.js';
export { BandwidthLimiter } from './bandwidth-limiter.js';
export type { LimiterClock } from './bandwidth-limiter.js';
export { UploadGate } from './upload-gate.js';
export { classifyError, defaultRetryPolicy, isEndpointTrouble } from './retry-policy.js';
export type { RetryEvent, RetryPolicy } from './retry-policy.js';
export { Pacer } from './pacer.js';
export { FileUploader, UNBUDGETED_PUT_BYTES } from './file-uploader.js';
export { MemoryBudget } from './memory-budget.js';
export type { FileUploaderOptions, ProgressEvent } from './file-uploader.js';
export { choosePartSize, planParts } from './part-plan.js';
export {
  FileChangedError,
  FileGoneError,
  FileRefusedError,
  FileReplacedError,
  IntegrityError,
  PermanentError,
  StorageError,
  UploadAbortedError,
  storageErrorCode,
} from './errors.js';
export { DirectoryCache, openDirectory, openFolderFile, PROC_FD } from './folder-file.js';
export { etagHex, fileMeta } from './upload-context.js';
export type { FileIdentity, FolderFile } from './folder-file.js';
export type { RecordedUpload, UploadJournal, UploadOutcome } from './journal.js';
export {
  CredentialsFetchError,
  CredentialsUnavailableError,
  isCredentialsError,
  RefreshingCredentials,
  staticCredentials,
} from './credentials-provider.js';
export type { CredentialsProvider, CredentialsState, OssCredentials, RefreshOptions } from './credentials-provider.js';
