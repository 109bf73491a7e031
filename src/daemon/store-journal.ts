import type { StateStore, FileRow } from '../store/index.js';
import type { RecordedUpload, UploadJournal, UploadOutcome } from '../uploader/journal.js';
import type { VerifiedBatch } from './verified-batch.js';

/**
 * The uploader's journal for one claimed file, kept in the state database. Each method is one
 * committed transaction when it returns (see src/uploader/journal.ts); with `group`, fileUploaded's
 * promise resolves once the group commit is done. `nextTryAt`: when a file that grew during its upload is tried next.
 */
export function storeJournal(store: StateStore, row: FileRow, group?: VerifiedBatch, nextTryAt?: () => number): UploadJournal {
  // Whether the row may still hold remote checksums (as claimed; only this worker records them for it).
  let remoteKnown = row.remoteEtag !== null || row.remoteCrc64 !== null || row.remoteSize !== null;
  return {
    recordedUpload(): RecordedUpload | undefined {
      // Known at claim time; only this worker records uploads for the row it claimed.
      return row.hasUpload === false ? undefined : store.uploads.forFile(row.id);
    },
    uploadStarted(upload): void {
      store.uploads.begin(row.id, upload);
    },
    partAcknowledged(uploadId, part): void {
      store.uploads.ackPart(uploadId, part);
    },
    uploadAbandoned(uploadId): void {
      store.uploads.forget(uploadId);
    },
    objectReplacing(): void {
      // Invariant: committed before the request that may replace the object is sent (see journal.ts).
      // A row without remote checksums has nothing to forget: no write for the common new file.
      if (!remoteKnown) return;
      store.queue.forgetRemoteChecksums(row.id);
      remoteKnown = false;
    },
    fileUploaded(outcome: UploadOutcome): void | Promise<void> {
      const { bucket, key, etag, crc64, fingerprint, uploadId } = outcome;
      const result = { bucket, key, etag, crc64, fingerprint, ...(uploadId ? { uploadId } : {}) };
      if (outcome.prefixSnapshot) {
        // Not done: the row stays queued for the newer bytes (see FileQueue.markSnapshot). Rare, so
        // committed on its own rather than in the group.
        store.queue.markSnapshot(row.id, row.generation, result, nextTryAt?.() ?? Date.now());
        return;
      }
      if (group) return group.add({ id: row.id, generation: row.generation, result });
      store.queue.markVerified(row.id, row.generation, result);
    },
  };
}
