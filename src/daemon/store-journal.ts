import { failpoint } from '../lib/failpoint.js';
import type { StateStore, FileRow } from '../store/index.js';
import type { RecordedUpload, UploadJournal, UploadOutcome } from '../uploader/journal.js';

/**
 * The uploader's journal for one claimed file, kept in the state database. Each method is one
 * committed transaction when it returns (see src/uploader/journal.ts for the contract).
 */
export function storeJournal(store: StateStore, row: FileRow): UploadJournal {
  return {
    recordedUpload(): RecordedUpload | undefined {
      // Known at claim time; only this worker records uploads for the row it claimed.
      if (row.hasUpload === false) return undefined;
      const u = store.uploads.forFile(row.id);
      if (!u) return undefined;
      return {
        uploadId: u.uploadId,
        bucket: u.bucket,
        key: u.key,
        partSize: u.partSize,
        partCount: u.partCount,
        fingerprint: u.fingerprint,
        createdAt: u.createdAt,
        parts: u.parts,
      };
    },
    uploadStarted(upload): void {
      failpoint('before-upload-recorded');
      store.uploads.begin(row.id, upload);
    },
    partAcknowledged(uploadId, part): void {
      store.uploads.ackPart(uploadId, part);
    },
    uploadAbandoned(uploadId): void {
      store.uploads.forget(uploadId);
    },
    fileUploaded(outcome: UploadOutcome): void {
      failpoint('before-mark-verified');
      store.queue.markVerified(row.id, row.generation, {
        bucket: outcome.bucket,
        key: outcome.key,
        etag: outcome.etag,
        crc64: outcome.crc64,
        fingerprint: outcome.fingerprint,
        ...(outcome.uploadId ? { uploadId: outcome.uploadId } : {}),
      });
    },
  };
}
