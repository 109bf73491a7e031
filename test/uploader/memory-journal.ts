import type { RecordedPart, RecordedUpload, UploadJournal, UploadOutcome } from '../../src/uploader/journal.js';

/**
 * The journal contract kept in memory, for in-process resume tests. Like the real store, it returns
 * copies, so a test can snapshot the state at any point and "restart" from it.
 */
export class MemoryJournal implements UploadJournal {
  upload: RecordedUpload | undefined;
  outcome: UploadOutcome | undefined;
  readonly events: string[] = [];
  /** Called after each recorded part with the number of parts recorded so far (to interrupt a test upload). */
  onPart: ((recordedParts: number) => void) | undefined;

  constructor(initial?: RecordedUpload) {
    this.upload = initial ? structuredClone(initial) : undefined;
  }

  recordedUpload(): RecordedUpload | undefined {
    return this.upload ? structuredClone(this.upload) : undefined;
  }

  uploadStarted(upload: Omit<RecordedUpload, 'parts'>): void {
    this.events.push(`started ${upload.uploadId}`);
    this.upload = { ...structuredClone(upload), parts: [] };
  }

  partAcknowledged(uploadId: string, part: RecordedPart): void {
    if (this.upload?.uploadId !== uploadId) throw new Error(`part for unknown upload ${uploadId}`);
    this.events.push(`part ${part.partNumber}`);
    this.upload.parts = [...this.upload.parts.filter((p) => p.partNumber !== part.partNumber), { ...part }];
    this.onPart?.(this.upload.parts.length);
  }

  uploadAbandoned(uploadId: string): void {
    this.events.push(`abandoned ${uploadId}`);
    if (this.upload?.uploadId === uploadId) this.upload = undefined;
  }

  /** How many times a request that may replace the object was announced (not in `events`). */
  replacing = 0;

  objectReplacing(): void {
    this.replacing++;
  }

  fileUploaded(outcome: UploadOutcome): void {
    this.events.push('uploaded');
    this.outcome = structuredClone(outcome);
    if (outcome.uploadId !== undefined && this.upload?.uploadId === outcome.uploadId) this.upload = undefined;
  }
}
