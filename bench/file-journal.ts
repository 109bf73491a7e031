import { appendFileSync, closeSync, existsSync, fsyncSync, openSync, readFileSync } from 'node:fs';
import type { RecordedPart, RecordedUpload, UploadJournal, UploadOutcome } from '../src/uploader/journal.js';

type Entry =
  | { type: 'started'; upload: Omit<RecordedUpload, 'parts'> }
  | { type: 'part'; uploadId: string; part: RecordedPart }
  | { type: 'abandoned'; uploadId: string }
  | { type: 'uploaded'; outcome: UploadOutcome };

/**
 * The journal contract over an append-only JSON-lines file, fsynced per entry: enough durability for the
 * benchmark's kill -9 (the daemon's real journal is the SQLite store).
 */
export class FileJournal implements UploadJournal {
  constructor(readonly path: string) {}

  recordedUpload(): RecordedUpload | undefined {
    return replay(this.path).upload;
  }

  uploadStarted(upload: Omit<RecordedUpload, 'parts'>): void {
    this.append({ type: 'started', upload });
  }

  partAcknowledged(uploadId: string, part: RecordedPart): void {
    this.append({ type: 'part', uploadId, part });
  }

  uploadAbandoned(uploadId: string): void {
    this.append({ type: 'abandoned', uploadId });
  }

  fileUploaded(outcome: UploadOutcome): void {
    this.append({ type: 'uploaded', outcome });
  }

  private append(entry: Entry): void {
    const fd = openSync(this.path, 'a');
    try {
      appendFileSync(fd, `${JSON.stringify(entry, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}

/** The recorded upload and acknowledged bytes, as a reader (the benchmark's killer) sees them. */
export function replay(path: string): { upload: RecordedUpload | undefined; done: boolean; ackedBytes: number } {
  let upload: RecordedUpload | undefined;
  let done = false;
  if (!existsSync(path)) return { upload, done, ackedBytes: 0 };
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line) continue;
    let entry: Entry;
    try {
      entry = JSON.parse(line, (_k, v: unknown) => (typeof v === 'string' && /^\d+n$/.test(v) ? BigInt(v.slice(0, -1)) : v)) as Entry;
    } catch {
      continue; // a torn last line after kill -9
    }
    if (entry.type === 'started') upload = { ...entry.upload, parts: [] };
    else if (entry.type === 'part' && upload?.uploadId === entry.uploadId) {
      upload.parts = [...upload.parts.filter((p) => p.partNumber !== entry.part.partNumber), entry.part];
    } else if (entry.type === 'abandoned' && upload?.uploadId === entry.uploadId) upload = undefined;
    else if (entry.type === 'uploaded') {
      upload = undefined;
      done = true;
    }
  }
  return { upload, done, ackedBytes: upload?.parts.reduce((sum, p) => sum + p.size, 0) ?? 0 };
}
