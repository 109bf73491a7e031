import { StoreTable } from './database.js';
import { num } from './row-mapping.js';
import type { FileRow, Fingerprint } from './types.js';

/** What a vanished file held on OSS: the source of a server-side copy if it reappears elsewhere. */
export interface RemovedFile extends Pick<FileRow, 'folder' | 'relPath' | 'bucket' | 'key'> {
  fingerprint: Fingerprint;
  etag: string;
  crc64: string;
  removedAt: number;
}

/**
 * Files that vanished from disk while OSS held a verified copy of them (removed_files). A delete and
 * a create of the same file (a rename or move) pair up here: the created file's row finds the removed
 * one by identity (device, inode, size, mtime) and its object is copied on OSS instead of uploaded.
 */
export class RemovedFiles extends StoreTable {
  /**
   * Remembers the paths' verified objects (rows with no verified object are skipped: nothing to copy)
   * and forgets entries older than `forgetBefore`, so the table holds one rename window at most.
   */
  remember(folder: string, relPaths: readonly string[], now: number, forgetBefore: number): void {
    const keep = this.sql(
      `INSERT OR REPLACE INTO removed_files (folder, rel_path, bucket, remote_key, size, mtime_ns, ino, dev, remote_etag, remote_crc64, removed_at)
         SELECT folder, rel_path, bucket, remote_key, size, mtime_ns, ino, dev, remote_etag, remote_crc64, @now FROM files
         WHERE folder = @folder AND rel_path = @relPath AND remote_crc64 IS NOT NULL AND remote_etag IS NOT NULL AND remote_size = size`,
    );
    this.db.transaction(() => {
      this.sql('DELETE FROM removed_files WHERE removed_at < ?').run(forgetBefore);
      for (const relPath of relPaths) keep.run({ folder, relPath, now });
    })();
  }

  /**
   * An object in `bucket`, at another key, recorded as holding a file with this identity: the newest
   * removed file (removed at `since` or later), else a known file's verified object. The latter is a
   * rename a walk found before it judged the old path gone (or a hard link: the same inode, the
   * same bytes). Either way the copy is checked against the recorded CRC-64 before it counts.
   */
  sourceFor(bucket: string, key: string, fingerprint: Fingerprint, since: number): RemovedFile | undefined {
    const params = { ...fingerprint, bucket, key, since };
    const removed = this.sql(
      `SELECT * FROM removed_files WHERE ino = @ino AND size = @size AND dev = @dev AND mtime_ns = @mtimeNs AND bucket = @bucket
         AND remote_key <> @key AND removed_at >= @since ORDER BY removed_at DESC LIMIT 1`,
    ).safeIntegers(true);
    const known = this.sql(
      `SELECT *, 0 AS removed_at FROM files WHERE ino = @ino AND size = @size AND dev = @dev AND mtime_ns = @mtimeNs AND bucket = @bucket
         AND remote_key <> @key AND remote_crc64 IS NOT NULL AND remote_etag IS NOT NULL AND remote_size = size LIMIT 1`,
    ).safeIntegers(true);
    const row = (removed.get(params) ?? known.get(params)) as Record<string, unknown> | undefined;
    if (!row) return undefined;
    return {
      folder: row.folder as string,
      relPath: row.rel_path as string,
      bucket: row.bucket as string,
      key: row.remote_key as string,
      fingerprint: { size: num(row.size), mtimeNs: row.mtime_ns as bigint, ino: row.ino as bigint, dev: row.dev as bigint },
      etag: row.remote_etag as string,
      crc64: row.remote_crc64 as string,
      removedAt: num(row.removed_at),
    };
  }

  /** The copy was made (or the source is of no more use). */
  forget(folder: string, relPath: string): void {
    this.sql('DELETE FROM removed_files WHERE folder = ? AND rel_path = ?').run(folder, relPath);
  }
}
