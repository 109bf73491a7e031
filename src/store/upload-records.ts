import { StoreTable } from './database.js';
import { num, numOrNull } from './row-mapping.js';
import type { FileRow, PartRecord, UploadRecord } from './types.js';

/** The condition of orphans(), on an uploads row `u`. */
const ORPHAN = `u.file_id IS NULL
  OR EXISTS (SELECT 1 FROM uploads n WHERE n.file_id = u.file_id AND n.created_at > u.created_at)
  OR EXISTS (SELECT 1 FROM files f WHERE f.id = u.file_id AND f.state IN ('deleting', 'verified'))`;

/**
 * Multipart uploads in progress and their acknowledged parts.
 *
 * Invariants (what resume relies on after a kill -9):
 * - begin() commits the upload ID before the caller sends the first part;
 * - ackPart() commits a part's ETag and CRC in its own short transaction right after the server
 *   acknowledged it, before the part counts as done;
 * - a record is removed only when the upload was aborted, vanished, or its object was recorded
 *   as verified (FileQueue.markVerified, same transaction).
 */
export class UploadRecords extends StoreTable {
  begin(fileId: number | null, upload: Omit<UploadRecord, 'fileId'>): void {
    this.sql(
      `INSERT INTO uploads (upload_id, file_id, bucket, remote_key, part_size, part_count, size, mtime_ns, ino, dev, created_at)
         VALUES (@uploadId, @fileId, @bucket, @key, @partSize, @partCount, @size, @mtimeNs, @ino, @dev, @createdAt)`,
    ).run({ ...upload, ...upload.fingerprint, fileId });
  }

  ackPart(uploadId: string, part: PartRecord, now = Date.now()): void {
    const record = 'INSERT OR REPLACE INTO parts (upload_id, part_number, size, etag, crc64, acked_at) VALUES (?, ?, ?, ?, ?, ?)';
    this.sql(record).run(uploadId, part.partNumber, part.size, part.etag, part.crc64, now);
  }

  forget(uploadId: string): void {
    this.sql('DELETE FROM uploads WHERE upload_id = ?').run(uploadId);
  }

  /** The newest upload recorded for a file, with its parts in order. */
  forFile(fileId: number): (UploadRecord & { parts: PartRecord[] }) | undefined {
    const row = this.sql('SELECT * FROM uploads WHERE file_id = ? ORDER BY created_at DESC LIMIT 1').safeIntegers(true).get(fileId) as
      Record<string, unknown> | undefined;
    if (!row) return undefined;
    const upload = toUploadRecord(row);
    const parts = this.sql('SELECT part_number AS partNumber, size, etag, crc64 FROM parts WHERE upload_id = ? ORDER BY part_number');
    return { ...upload, parts: parts.all(upload.uploadId) as PartRecord[] };
  }

  /**
   * Uploads nobody will resume: their file row is gone (a keep folder lost the file), or the file
   * has a newer upload, a mirror folder is deleting it, or it was verified without this upload (the
   * content check found it unchanged). The daemon aborts them on the server and forgets them.
   */
  orphans(): UploadRecord[] {
    const rows = this.sql(`SELECT u.* FROM uploads u WHERE ${ORPHAN}`).safeIntegers(true).all() as Record<string, unknown>[];
    return rows.map(toUploadRecord);
  }

  /** Whether this upload is (still) one of orphans(). */
  isOrphan(uploadId: string): boolean {
    return this.sql(`SELECT 1 FROM uploads u WHERE u.upload_id = ? AND (${ORPHAN})`).get(uploadId) !== undefined;
  }

  /**
   * Uploads recorded for files of folders not in `folders` (folders removed from the config), with
   * the file's folder and path: nobody will resume them while the folder is gone, so the daemon
   * aborts them on the server and forgets them. Uploads whose file row is gone are orphans(), not these.
   */
  ofFoldersOtherThan(folders: readonly string[]): Array<UploadRecord & Pick<FileRow, 'folder' | 'relPath'>> {
    const select = this.sql(
      `SELECT u.*, f.folder AS file_folder, f.rel_path AS file_rel_path FROM uploads u JOIN files f ON f.id = u.file_id
         WHERE f.folder NOT IN (SELECT value FROM json_each(?)) ORDER BY u.created_at`,
    ).safeIntegers(true);
    const rows = select.all(JSON.stringify(folders)) as Record<string, unknown>[];
    return rows.map((r) => ({ ...toUploadRecord(r), folder: r.file_folder as string, relPath: r.file_rel_path as string }));
  }

  has(uploadId: string): boolean {
    return this.sql('SELECT 1 FROM uploads WHERE upload_id = ?').pluck().get(uploadId) !== undefined;
  }

  count(): number {
    return this.sql('SELECT count(*) FROM uploads').pluck().get() as number;
  }
}

function toUploadRecord(r: Record<string, unknown>): UploadRecord {
  return {
    uploadId: r.upload_id as string,
    fileId: numOrNull(r.file_id),
    bucket: r.bucket as string,
    key: r.remote_key as string,
    partSize: num(r.part_size),
    partCount: num(r.part_count),
    fingerprint: { size: num(r.size), mtimeNs: r.mtime_ns as bigint, ino: r.ino as bigint, dev: r.dev as bigint },
    createdAt: num(r.created_at),
  };
}
