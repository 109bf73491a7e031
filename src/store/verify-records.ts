import { StoreTable } from './database.js';
import { num, numOrNull } from './row-mapping.js';
import type { FileRow } from './types.js';

/** What the state database says of one file, as `oss-sync verify` compares it. */
export type RecordedFile = Pick<
  FileRow,
  'relPath' | 'state' | 'generation' | 'size' | 'mtimeNs' | 'bucket' | 'key' | 'remoteEtag' | 'remoteSize' | 'remoteCrc64'
>;

/** `oss-sync verify`'s reads of the queue, and its repair (`--requeue`). */
export class VerifyRecords extends StoreTable {
  /** A verify that found everything in order finished now (what /metrics reports as the last verify). */
  recordSuccess(now = Date.now()): void {
    this.sql(`INSERT OR REPLACE INTO runs (name, finished_at) VALUES ('verify', ?)`).run(now);
  }

  /** Every row of the folder, by path (one read, no request per file). */
  filesOf(folder: string): RecordedFile[] {
    return this.select('WHERE folder = ? ORDER BY rel_path', folder);
  }

  /** The rows of these paths as they are now (one read), to tell the daemon's work from a mismatch. */
  filesAt(folder: string, relPaths: readonly string[]): RecordedFile[] {
    return this.select('WHERE folder = ? AND rel_path IN (SELECT value FROM json_each(?))', folder, JSON.stringify(relPaths));
  }

  private select(where: string, ...params: unknown[]): RecordedFile[] {
    // safeIntegers for mtime_ns: every integer arrives as a bigint, and the counts become numbers here.
    const select = `SELECT rel_path AS relPath, state, generation, size, mtime_ns AS mtimeNs, bucket, remote_key AS key, remote_etag AS remoteEtag,
        remote_size AS remoteSize, remote_crc64 AS remoteCrc64 FROM files ${where}`;
    const statement = this.sql(select).safeIntegers(true);
    return (statement.all(...params) as RecordedFile[]).map((r) => ({
      ...r,
      generation: num(r.generation),
      size: num(r.size),
      remoteSize: numOrNull(r.remoteSize),
    }));
  }

  /**
   * Queues the files again, to be uploaded whole. The remote facts are forgotten, as they describe an
   * object that is gone or other than recorded: kept, the content check would skip the upload. The
   * generation bump makes a running daemon's in-flight result for the old content not count, as
   * observe() does; so this is safe while the daemon runs (one transaction, as `oss-sync retry`).
   * Rows being deleted are left alone. Returns how many rows were queued.
   */
  requeue(folder: string, relPaths: readonly string[], reason: string, now = Date.now()): number {
    const update = `UPDATE files SET state = CASE WHEN state = 'uploading' THEN 'uploading' ELSE 'queued' END,
         generation = generation + 1, attempts = 0, last_error = ?, next_attempt_at = 0, queued_at = ?,
         remote_etag = NULL, remote_crc64 = NULL, remote_size = NULL
       WHERE folder = ? AND rel_path = ? AND state <> 'deleting'`;
    return this.runEach(update, relPaths, (relPath) => [reason, now, folder, relPath]);
  }
}
