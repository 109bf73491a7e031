export { StateStore } from './state-store.js';
export { InstanceLock } from './instance-lock.js';
export { FileQueue, type UploadResultRecord, type VerifiedFile } from './file-queue.js';
export { reconcileKey, relPathOfReconcileKey } from './row-mapping.js';
export { UploadRecords, type UploadWithParts } from './upload-records.js';
export { DaemonRegistry, type DaemonInfo, type FolderHealth, type FolderMode } from './daemon-registry.js';
export { StatusReport, type FolderCounts, type InFlightFile, type FailedFile } from './status-report.js';
export { SCHEMA_VERSION } from './migrations.js';
export type { FileRow, FileState, Fingerprint, Observation, PartRecord, UploadRecord } from './types.js';
