import { StoreTable } from './database.js';
import type { FileRow, PartRecord } from './types.js';

/** A file `oss-sync restore` started and has not finished: what it is restoring, and where to. */
export interface RestoreRecord extends Pick<FileRow, 'bucket' | 'key' | 'size'> {
  /** Absolute path the file will have once restored. */
  target: string;
  /** The object's ETag when the restore started: ranges of another version are never mixed in. */
  etag: string;
  partSize: number;
  /** The temporary file beside the target the ranges are written into. */
  tempPath: string;
}

export type RestoredPart = Omit<PartRecord, 'etag'>;

/**
 * `oss-sync restore`'s progress. Invariant: a part is recorded only after its bytes were written to
 * the temporary file and their CRC-64 computed while writing; the row goes when the file is renamed
 * into place (or given up), so a row always names a temporary file, never a finished one.
 */
export class RestoreProgress extends StoreTable {
  find(target: string): { record: RestoreRecord; parts: RestoredPart[] } | undefined {
    const record = this.sql(`${SELECT_RECORDS} WHERE target = ?`).get(target) as RestoreRecord | undefined;
    if (!record) return undefined;
    const parts = this.sql('SELECT part_number AS partNumber, size, crc64 FROM restore_parts WHERE target = ? ORDER BY part_number');
    return { record, parts: parts.all(target) as RestoredPart[] };
  }

  /** Starts (or starts over) a file: any parts recorded for the target are forgotten. */
  begin(record: RestoreRecord, now = Date.now()): void {
    this.db.transaction(() => {
      this.sql('DELETE FROM restore_files WHERE target = ?').run(record.target);
      this.sql(
        `INSERT INTO restore_files (target, bucket, remote_key, etag, size, part_size, temp_path, started_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(record.target, record.bucket, record.key, record.etag, record.size, record.partSize, record.tempPath, now);
    })();
  }

  recordPart(target: string, part: RestoredPart): void {
    const record = 'INSERT OR REPLACE INTO restore_parts (target, part_number, size, crc64) VALUES (@target, @partNumber, @size, @crc64)';
    this.sql(record).run({ target, ...part });
  }

  /** Drops parts whose bytes on disk no longer match (checked again at resume). */
  forgetParts(target: string, partNumbers: readonly number[]): void {
    this.runEach('DELETE FROM restore_parts WHERE target = ? AND part_number = ?', partNumbers, (n) => [target, n]);
  }

  /** The file is in place (or given up): forget it and its parts. */
  finish(target: string): void {
    this.sql('DELETE FROM restore_files WHERE target = ?').run(target);
  }
}

const SELECT_RECORDS = `SELECT target, bucket, remote_key AS key, etag, size, part_size AS partSize, temp_path AS tempPath FROM restore_files`;
