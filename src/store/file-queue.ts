import { sep } from 'node:path';
import { StoreTable } from './database.js';
import { RECONCILE_FINGERPRINT_SQL, relPathOfReconcileKey } from './reconcile-key.js';
import { num, toFileRow } from './row-mapping.js';
import type { FileRow, Fingerprint, Observation } from './types.js';

export interface UploadResultRecord {
  /** Where the object was uploaded: remote facts are kept only for the row's current target. */
  bucket: string;
  key: string;
  etag: string;
  crc64: string;
  fingerprint: Fingerprint;
  /** The multipart upload to forget in the same transaction. */
  uploadId?: string;
}

/** A queued file as adoption reads it (queuedIn). */
export type QueuedFile = Pick<FileRow, 'id' | 'generation' | 'relPath' | 'bucket' | 'key' | 'size' | 'ino' | 'dev'>;

/** One file's markVerified arguments, for a group commit. */
export type VerifiedFile = Pick<FileRow, 'id' | 'generation'> & { result: UploadResultRecord };

/**
 * The durable queue: one row per (folder, path). Every method is one explicit transaction, so a
 * kill -9 leaves the queue as it was before or after the call, never in between.
 */
export class FileQueue extends StoreTable {
  /**
   * Records what a walk or the watcher saw; returns how many rows were queued. New or changed files
   * (size, mtime, inode or target key) are queued; a change to a file being uploaded bumps its
   * generation, so the worker's result will not mark the new content done. Unchanged files are left
   * alone (a failed file stays parked until it changes or `retry`). `keepPending`: queued or
   * uploading rows stay as they are (a live file reported again: its worker reads the file at each
   * try, and its back-off must stand).
   */
  observe(
    folder: string,
    observations: readonly Observation[],
    now = Date.now(),
    { dueAt = 0, keepPending = false }: { dueAt?: number; keepPending?: boolean } = {},
  ): number {
    const find = this.sql(
      'SELECT id, size, mtime_ns, ino, dev, remote_key, bucket, state FROM files WHERE folder = ? AND rel_path = ?',
    ).safeIntegers(true);
    const insert = this.sql(
      `INSERT INTO files (folder, rel_path, size, mtime_ns, ino, dev, bucket, remote_key, state, queued_at, next_attempt_at, wait_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?)`,
    );
    // remote_* describe the object at the row's old key: a new target key forgets them (SET sees old values).
    const requeue = this.sql(
      `UPDATE files SET size = @size, mtime_ns = @mtimeNs, ino = @ino, dev = @dev, bucket = @bucket, remote_key = @key,
         state = CASE WHEN state = 'uploading' THEN 'uploading' ELSE 'queued' END,
         generation = generation + 1, attempts = 0, last_error = NULL, next_attempt_at = @dueAt, wait_ms = @waitMs, queued_at = @now,
         remote_etag = CASE WHEN remote_key = @key AND bucket = @bucket THEN remote_etag END,
         remote_crc64 = CASE WHEN remote_key = @key AND bucket = @bucket THEN remote_crc64 END,
         remote_size = CASE WHEN remote_key = @key AND bucket = @bucket THEN remote_size END
       WHERE id = @id`,
    );
    let queued = 0;
    const waitMs = Math.max(0, dueAt - now);
    this.db.transaction(() => {
      for (const o of observations) {
        const row = find.get(folder, o.relPath) as Record<string, unknown> | undefined;
        if (row) {
          const same =
            num(row.size) === o.size &&
            row.mtime_ns === o.mtimeNs &&
            row.ino === o.ino &&
            row.dev === o.dev &&
            row.remote_key === o.key &&
            row.bucket === o.bucket &&
            row.state !== 'deleting';
          if (same || (keepPending && (row.state === 'queued' || row.state === 'uploading'))) continue;
          requeue.run({ ...o, now, dueAt, waitMs, id: row.id });
        } else {
          insert.run(folder, o.relPath, o.size, o.mtimeNs, o.ino, o.dev, o.bucket, o.key, now, dueAt, waitMs);
        }
        queued++;
      }
    })();
    return queued;
  }

  /**
   * What a reconcile walk compares against: one reconcileKey() per known file of a folder when the
   * row is in step with the folder's destination (same bucket, key = prefix + path, not being
   * deleted), else `!/relPath`, which no walked file equals (it is observed again) but which still
   * names a known path. Read in pages of NUL-joined strings (bench/NOTES.md), so no string nears
   * SQLite's length limit however big the folder.
   */
  reconcileKeys(folder: string, destination: { bucket: string; prefix: string }): Set<string> {
    const page = this.sql(
      `SELECT group_concat(k, char(0)) FROM (
         SELECT CASE WHEN state <> 'deleting' AND bucket = @bucket AND remote_key = @prefix || ${KEY_PATH_SQL}
                     THEN ${RECONCILE_FINGERPRINT_SQL} ELSE '!' END || '/' || rel_path AS k
           FROM files WHERE folder = @folder AND rel_path > @after ORDER BY rel_path LIMIT ${RECONCILE_KEYS_PAGE})`,
    ).pluck();
    const keys = new Set<string>();
    for (let after = ''; ;) {
      const joined = page.get({ folder, bucket: destination.bucket, prefix: destination.prefix, after }) as string | null;
      if (joined === null) break;
      const pageKeys = joined.split('\0');
      for (const key of pageKeys) keys.add(key);
      if (pageKeys.length < RECONCILE_KEYS_PAGE) break;
      after = relPathOfReconcileKey(pageKeys[pageKeys.length - 1]!);
    }
    return keys;
  }

  /**
   * Adoption: the folder's queued files, not claimed, in the order they were queued (a directory's
   * files together), `limit` at a time after the row `afterId`: a million files queued must not be
   * held at once. Only the columns adoption reads (bench/NOTES.md).
   */
  queuedIn(folder: string, afterId: number, limit: number): QueuedFile[] {
    // The pending rows' id index, as claimDue() reads them: the (state, next_attempt_at) index the
    // planner picks otherwise sorts every queued row for every page.
    const select = this.sql(
      `SELECT id, generation, rel_path AS relPath, bucket, remote_key AS key, size, ino, dev FROM files INDEXED BY files_pending_id
       WHERE state IN ('queued','deleting') AND state = 'queued' AND folder = ? AND id > ? ORDER BY id LIMIT ?`,
    ).safeIntegers(true);
    // safeIntegers: ino and dev stay bigints; the rest become numbers here.
    const rows = select.all(folder, afterId, limit) as QueuedFile[];
    return rows.map((r) => ({ ...r, id: num(r.id), generation: num(r.generation), size: num(r.size) }));
  }

  /** How many files of a folder the store knows (to pick a watcher backend before walking). */
  countFor(folder: string): number {
    return this.sql('SELECT count(*) FROM files WHERE folder = ?').pluck().get(folder) as number;
  }

  /**
   * Adoption of the folder began: committed before any of its rows is recorded, ended once all are.
   * A folder with known files is adopted again only while this says unfinished: a crash between its
   * first and last walked batch must not leave the rest to be uploaded.
   */
  beginAdoption(folder: string, now = Date.now()): void {
    this.sql('INSERT OR IGNORE INTO unfinished_adoptions (folder, started_at) VALUES (?, ?)').run(folder, now);
  }

  endAdoption(folder: string): void {
    this.sql('DELETE FROM unfinished_adoptions WHERE folder = ?').run(folder);
  }

  adoptionUnfinished(folder: string): boolean {
    return this.sql('SELECT 1 FROM unfinished_adoptions WHERE folder = ?').pluck().get(folder) !== undefined;
  }

  /** Every remote key the folder's files map to. */
  keysOf(folder: string): string[] {
    return this.sql('SELECT remote_key FROM files WHERE folder = ?').pluck().all(folder) as string[];
  }

  /** Paths the store knows under a directory of a folder ('' = the whole folder). */
  pathsUnder(folder: string, dirRelPath: string): string[] {
    if (dirRelPath === '') {
      return this.sql('SELECT rel_path FROM files WHERE folder = ?').pluck().all(folder) as string[];
    }
    // Range scan on the unique index: every path starting with "dir/" ('0' is the character after '/').
    const under = this.sql('SELECT rel_path FROM files WHERE folder = ? AND rel_path >= ? AND rel_path < ?').pluck();
    return under.all(folder, `${dirRelPath}/`, `${dirRelPath}0`) as string[];
  }

  /** Queued files held back until they settle (observe's dueAt) are due now; retry back-offs (attempts > 0) stand. */
  release(folder: string, relPaths: readonly string[]): void {
    const due = `UPDATE files SET next_attempt_at = 0 WHERE folder = ? AND rel_path = ? AND state = 'queued' AND attempts = 0`;
    this.runEach(due, relPaths, (p) => [folder, p]);
  }

  /** Parks queued files as failed with the reason (a file `once` saw changing until it gave up). */
  park(folder: string, relPaths: readonly string[], reason: string): void {
    const parked = `UPDATE files SET state = 'failed', last_error = ?, next_attempt_at = 0 WHERE folder = ? AND rel_path = ? AND state = 'queued'`;
    this.runEach(parked, relPaths, (p) => [reason, folder, p]);
  }

  /** keep policy: the local file is gone, the remote object stays; the row is dropped. */
  forget(folder: string, relPaths: readonly string[]): number {
    return this.runEach('DELETE FROM files WHERE folder = ? AND rel_path = ?', relPaths, (p) => [folder, p]);
  }

  /**
   * mirror policy: the local file is gone, so its remote object is to be deleted, not before `dueAt`
   * (delete_delay, or the rename window). The wait is durable: started_at NULL marks it as no lease,
   * so a restart keeps it (resetInterrupted); a file back meanwhile is observed and re-queued.
   */
  markForDeletion(folder: string, relPaths: readonly string[], now = Date.now(), dueAt = 0): number {
    const mark = `UPDATE files SET state = 'deleting', generation = generation + 1, attempts = 0, last_error = NULL,
         next_attempt_at = @dueAt, wait_ms = @waitMs, started_at = NULL, queued_at = @now WHERE folder = @folder AND rel_path = @relPath`;
    const waitMs = Math.max(0, dueAt - now);
    return this.runEach(mark, relPaths, (relPath) => [{ dueAt, waitMs, now, folder, relPath }]);
  }

  /** A pending delete of the path waits until `dueAt` (0: due now), e.g. while its object is the source of a copy. */
  scheduleDelete(folder: string, relPath: string, dueAt: number, now = Date.now()): void {
    this.sql(
      `UPDATE files SET next_attempt_at = @dueAt, wait_ms = @waitMs WHERE folder = @folder AND rel_path = @relPath AND state = 'deleting'`,
    ).run({ dueAt, waitMs: Math.max(0, dueAt - now), folder, relPath });
  }

  /**
   * Claims up to `limit` due rows for this process: queued rows become 'uploading'; deleting rows
   * keep their state and are leased (next_attempt_at pushed out) so a second claim skips them.
   * `sizeBelow` / `sizeAtLeast` let the scheduler keep a lane for small files.
   */
  claimDue(
    limit: number,
    {
      now = Date.now(),
      sizeBelow,
      sizeAtLeast,
      folders,
      exclude = [],
    }: { now?: number; sizeBelow?: number; sizeAtLeast?: number; folders?: readonly string[]; exclude?: readonly number[] } = {},
  ): FileRow[] {
    if (limit <= 0) return [];
    const where = [`state IN ('queued','deleting')`, 'next_attempt_at <= @now'];
    if (sizeBelow !== undefined) where.push('size < @sizeBelow');
    if (sizeAtLeast !== undefined) where.push('size >= @sizeAtLeast');
    // One parameter per folder (not json_each): a plain IN list is a cheap per-row test.
    const folderParams = Object.fromEntries((folders ?? []).map((f, i) => [`f${i}`, f]));
    if (folders) where.push(`folder IN (${folders.map((_, i) => `@f${i}`).join(', ')})`);
    // Rows this process is already working on (a re-queued or re-deleted row must wait for them).
    if (exclude.length > 0) where.push('id NOT IN (SELECT value FROM json_each(@exclude))');
    // The partial indexes match `state IN ('queued','deleting')` exactly; the hint keeps the planner
    // from choosing the (state, next_attempt_at) index and sorting every queued row.
    const index = sizeAtLeast !== undefined ? 'files_pending_size' : 'files_pending_id';
    // has_upload spares a worker the lookup of an upload record for the (many) files that have none.
    const select = this.sql(
      `SELECT *, EXISTS (SELECT 1 FROM uploads u WHERE u.file_id = files.id) AS has_upload
         FROM files INDEXED BY ${index} WHERE ${where.join(' AND ')} ORDER BY id LIMIT @limit`,
    ).safeIntegers(true);
    const startUpload = this.sql(`UPDATE files SET state = 'uploading', started_at = @now, bytes_done = 0 WHERE id = @id`);
    const leaseDelete = this.sql(
      `UPDATE files SET next_attempt_at = @until, wait_ms = ${DELETE_LEASE_MS}, started_at = @now WHERE id = @id`,
    );
    return this.db.transaction(() => {
      const params = { now, limit, sizeBelow, sizeAtLeast, exclude: JSON.stringify(exclude), ...folderParams };
      const rows = (select.all(params) as Record<string, unknown>[]).map(toFileRow);
      for (const row of rows) {
        if (row.state === 'queued') {
          startUpload.run({ now, id: row.id });
          row.state = 'uploading';
          row.startedAt = now;
        } else {
          leaseDelete.run({ until: now + DELETE_LEASE_MS, now, id: row.id });
        }
      }
      return rows;
    })();
  }

  /**
   * The object is on OSS and verified. In ONE transaction: forget the multipart upload record and
   * mark the file verified, unless it changed since the worker claimed it (generation moved on):
   * then it goes back to the queue for the new content.
   */
  markVerified(id: number, generation: number, result: UploadResultRecord, now = Date.now()): void {
    this.db.transaction(() => this.applyVerified({ id, generation, result }, now))();
  }

  /** markVerified for several files in ONE transaction (one WAL append), each judged on its own. */
  markVerifiedAll(files: readonly VerifiedFile[], now = Date.now()): void {
    this.db.transaction(() => files.forEach((file) => this.applyVerified(file, now)))();
  }

  /**
   * Adoption: queued files whose object OSS already holds, recorded as verified in ONE transaction,
   * without a claim (their folder's queue is not worked on meanwhile). A file observed again since
   * it was read (its generation moved on) stays queued for its new content.
   */
  markAdopted(files: readonly VerifiedFile[], now = Date.now()): void {
    this.db.transaction(() => files.forEach((file) => this.applyVerified(file, now, 'queued')))();
  }

  /**
   * Records new files of a folder as adopted (verified: the object at their key holds their bytes),
   * with no queued row first; a path already recorded (walked twice) stays. Returns how many were inserted.
   */
  insertAdopted(folder: string, files: ReadonlyArray<{ relPath: string; result: UploadResultRecord }>, now = Date.now()): number {
    const insert = `INSERT INTO files (folder, rel_path, size, mtime_ns, ino, dev, bucket, remote_key, state, queued_at, uploaded_at,
         remote_etag, remote_crc64, remote_size, bytes_done)
       VALUES (@folder, @relPath, @size, @mtimeNs, @ino, @dev, @bucket, @key, 'verified', @now, @now, @etag, @crc64, @size, @size)
       ON CONFLICT (folder, rel_path) DO NOTHING`;
    return this.runEach(insert, files, ({ relPath, result }) => [{ ...result, ...result.fingerprint, folder, relPath, now }]);
  }

  /** `from`: the state the row must still be in (claimed by a worker, or queued for adoption). */
  private applyVerified({ id, generation, result }: VerifiedFile, now: number, from: 'uploading' | 'queued' = 'uploading'): void {
    if (result.uploadId) this.sql('DELETE FROM uploads WHERE upload_id = ?').run(result.uploadId);
    // `from` is bound, not spliced in: one SQL text for the statement cache (bench/NOTES.md).
    const params = { ...result, ...result.fingerprint, from, now, id, generation };
    const done = this.sql(
      `UPDATE files SET state = 'verified', uploaded_at = @now, remote_etag = @etag, remote_crc64 = @crc64, remote_size = @size,
           attempts = 0, last_error = NULL, next_attempt_at = 0, bytes_done = @size,
           size = @size, mtime_ns = @mtimeNs, ino = @ino, dev = @dev
         WHERE id = @id AND generation = @generation AND state = @from AND bucket = @bucket AND remote_key = @key`,
    ).run(params);
    if (done.changes === 0 && from === 'uploading') {
      // Changed while uploading (content or target): queued again; remote_* kept only for its current target.
      this.sql(
        `UPDATE files SET state = 'queued',
           remote_etag = CASE WHEN bucket = @bucket AND remote_key = @key THEN @etag ELSE remote_etag END,
           remote_crc64 = CASE WHEN bucket = @bucket AND remote_key = @key THEN @crc64 ELSE remote_crc64 END,
           remote_size = CASE WHEN bucket = @bucket AND remote_key = @key THEN @size ELSE remote_size END
         WHERE id = @id AND state = 'uploading'`,
      ).run(params);
    }
  }

  /**
   * A PutObject or Complete to the row's key is about to be sent: remote_* may be false from then on
   * (even if it fails), so they are dropped, committed before the request goes out.
   */
  forgetRemoteChecksums(id: number): void {
    this.sql(`UPDATE files SET remote_etag = NULL, remote_crc64 = NULL, remote_size = NULL WHERE id = ?`).run(id);
  }

  /**
   * A file that grew while it was uploaded: OSS holds a verified true prefix of it (its first
   * `result.fingerprint.size` bytes). In ONE transaction: forget the multipart record; remote_* and
   * the fingerprint become what was uploaded, but the row stays `queued` (never `verified`: the file
   * has newer bytes), due at `nextTryAt`, with a note for `status`. If the file was observed again
   * meanwhile (generation moved on), that observation's fingerprint and due time stand.
   */
  markSnapshot(id: number, generation: number, result: UploadResultRecord, nextTryAt: number, now = Date.now()): void {
    const size = result.fingerprint.size;
    const note = `still being written: its first ${size} bytes are uploaded (a true prefix); the rest goes up at a later try`;
    this.db.transaction(() => {
      if (result.uploadId) this.sql('DELETE FROM uploads WHERE upload_id = ?').run(result.uploadId);
      this.sql(
        `UPDATE files SET state = CASE WHEN state = 'uploading' THEN 'queued' ELSE state END,
           remote_etag = @etag, remote_crc64 = @crc64, remote_size = @size, uploaded_at = @now, bytes_done = 0,
           attempts = 0, last_error = @note,
           next_attempt_at = CASE WHEN generation = @generation THEN @nextTryAt ELSE next_attempt_at END,
           wait_ms = CASE WHEN generation = @generation THEN max(0, @nextTryAt - @now) ELSE wait_ms END,
           size = CASE WHEN generation = @generation THEN @size ELSE size END,
           mtime_ns = CASE WHEN generation = @generation THEN @mtimeNs ELSE mtime_ns END,
           ino = CASE WHEN generation = @generation THEN @ino ELSE ino END,
           dev = CASE WHEN generation = @generation THEN @dev ELSE dev END
         WHERE id = @id AND bucket = @bucket AND remote_key = @key`,
      ).run({ ...result, ...result.fingerprint, now, note, generation, nextTryAt, id });
      // Another target now: what was uploaded says nothing about it; the row is simply queued again.
      this.sql(`UPDATE files SET state = 'queued' WHERE id = ? AND state = 'uploading'`).run(id);
    })();
  }

  /**
   * The file changed during its upload and is no true prefix of what was sent: queued again after
   * `nextTryAt` (no attempt counted), unless observed again meanwhile (then due as that said).
   */
  requeueChanged(id: number, generation: number, nextTryAt: number, now = Date.now()): void {
    this.sql(
      `UPDATE files SET state = 'queued', last_error = NULL,
         next_attempt_at = CASE WHEN generation = @generation THEN @nextTryAt ELSE next_attempt_at END,
         wait_ms = CASE WHEN generation = @generation THEN max(0, @nextTryAt - @now) ELSE wait_ms END
       WHERE id = @id AND state = 'uploading'`,
    ).run({ generation, nextTryAt, now, id });
  }

  /** A claimed deletion that will not run now: due again at `dueAt` (at once by default; its lease dropped). */
  releaseDeleteLease(id: number, dueAt = 0): void {
    this.sql(`UPDATE files SET next_attempt_at = ? WHERE id = ? AND state = 'deleting'`).run(dueAt, id);
  }

  /**
   * Whether another path waits to be uploaded (queued or claimed) with this deleting row's identity
   * (device, inode, size, mtime) in its bucket: a rename's new path, which may yet be copied from
   * the row's object (RenameDetector).
   */
  renameTargetPending(row: FileRow): boolean {
    return (
      this.sql(
        `SELECT 1 FROM files WHERE ino = @ino AND size = @size AND dev = @dev AND mtime_ns = @mtimeNs AND bucket = @bucket
           AND id <> @id AND state IN ('queued', 'uploading') AND remote_crc64 IS NULL LIMIT 1`,
      ).get(row) !== undefined
    );
  }

  /** The file changed under the worker (or will not run now): queue it again at once, without counting an attempt. */
  requeue(id: number, reason: string | null = null): void {
    this.sql(`UPDATE files SET state = 'queued', next_attempt_at = 0, last_error = ? WHERE id = ? AND state = 'uploading'`).run(reason, id);
  }

  /** A retryable failure: queued again after `retryAt`, one attempt counted; the wait's length is kept, never stretched (reschedule). */
  markRetry(id: number, generation: number, error: string, retryAt: number, now = Date.now()): number {
    const row = this.sql(
      `UPDATE files SET state = CASE WHEN state = 'deleting' THEN 'deleting' ELSE 'queued' END,
           attempts = attempts + 1, last_error = ?, next_attempt_at = ?, wait_ms = ? WHERE id = ? AND generation = ? RETURNING attempts`,
    ).get(error, retryAt, Math.max(0, retryAt - now), id, generation) as { attempts: number } | undefined;
    if (!row) this.requeue(id, null); // the file changed since: its new content starts afresh
    return row?.attempts ?? 0;
  }

  /** Back in the queue with the reason, no attempt counted: the failure was its folder's (resting after an error), not the file's. */
  markWaiting(id: number, generation: number, reason: string): void {
    const waiting = this.sql(
      `UPDATE files SET state = CASE WHEN state = 'deleting' THEN 'deleting' ELSE 'queued' END, last_error = ?, next_attempt_at = 0
       WHERE id = ? AND generation = ?`,
    ).run(reason, id, generation);
    if (waiting.changes === 0) this.requeue(id, null); // the file changed since: its new content starts afresh
  }

  /** Parked: a permanent error, or too many attempts. Stays until the file changes or `retry`. */
  markFailed(id: number, generation: number, error: string): void {
    const parked = this.sql(
      `UPDATE files SET state = 'failed', attempts = attempts + 1, last_error = ?, next_attempt_at = 0 WHERE id = ? AND generation = ?`,
    ).run(error, id, generation);
    if (parked.changes === 0) this.requeue(id, null); // a failure of old content does not park the new
  }

  /** The remote object of a mirror folder's deleted file is gone: drop the row. */
  deleted(id: number, generation: number): void {
    const gone = this.sql(`DELETE FROM files WHERE id = ? AND generation = ? AND state = 'deleting'`).run(id, generation);
    // Re-created meanwhile: what was uploaded before is gone from OSS now, so it must go up again.
    if (gone.changes === 0) this.forgetRemoteChecksums(id);
  }

  /** Progress for `status` (bytes acknowledged by the server so far). */
  setProgress(id: number, bytesDone: number): void {
    this.sql('UPDATE files SET bytes_done = ? WHERE id = ?').run(bytesDone, id);
  }

  /** At start-up: uploads claimed by a previous process are queued (their multipart records stay, so they resume). */
  resetInterrupted(): number {
    return this.db.transaction(() => {
      const a = this.sql(`UPDATE files SET state = 'queued' WHERE state = 'uploading'`).run().changes;
      // Leased deletes (started_at set) are released; a delete waiting out its delay keeps its time.
      const b = this.sql(
        `UPDATE files SET next_attempt_at = 0, started_at = NULL WHERE state = 'deleting' AND started_at IS NOT NULL`,
      ).run().changes;
      return a + b;
    })();
  }

  /** `oss-sync retry`: failed files (all, or those under the given folder paths) go back to the queue. */
  retryFailed(filter: { folder?: string; relPaths?: readonly string[] } = {}): number {
    const update = `UPDATE files SET state = 'queued', attempts = 0, next_attempt_at = 0, last_error = NULL
       WHERE state = 'failed' AND (@folder IS NULL OR folder = @folder) AND (@relPath IS NULL OR rel_path = @relPath OR (rel_path >= @lo AND rel_path < @hi))`;
    const folder = filter.folder ?? null;
    if (!filter.relPaths?.length) return this.runEach(update, [null], () => [{ folder, relPath: null, lo: null, hi: null }]);
    // Case-sensitive range: every path starting with "p/" ('0' is the character after '/').
    return this.runEach(update, filter.relPaths, (p) => [{ folder, relPath: p, lo: `${p}/`, hi: `${p}0` }]);
  }

  get(id: number): FileRow | undefined {
    const row = this.sql('SELECT * FROM files WHERE id = ?').safeIntegers(true).get(id);
    return row ? toFileRow(row as Record<string, unknown>) : undefined;
  }

  /** Up to `limit` random rows of a folder recorded on device `dev`: renumbered since (remounted), or unmounted? */
  sampleOnDevice(folder: string, dev: bigint, limit: number): FileRow[] {
    const sample = this.sql(
      `SELECT * FROM files WHERE folder = ? AND dev = ? AND state <> 'deleting' ORDER BY random() LIMIT ?`,
    ).safeIntegers(true);
    return sample.all(folder, dev, limit).map((row) => toFileRow(row as Record<string, unknown>));
  }

  find(folder: string, relPath: string): FileRow | undefined {
    const row = this.sql('SELECT * FROM files WHERE folder = ? AND rel_path = ?').safeIntegers(true).get(folder, relPath);
    return row ? toFileRow(row as Record<string, unknown>) : undefined;
  }

  /** How many rows of the folders wait (now or later), for `once` to know when it is done; a delete_delay's wait is left to a later run. */
  pendingCount(folders: readonly string[], now = Date.now()): number {
    const count = this.sql(
      `SELECT count(*) FROM files WHERE (state IN ('queued','uploading')
         OR (state = 'deleting' AND NOT (started_at IS NULL AND next_attempt_at > @later)))
         AND folder IN (SELECT value FROM json_each(@folders))`,
    ).pluck();
    return count.get({ later: now + DELAYED_DELETE_MS, folders: JSON.stringify(folders) }) as number;
  }

  /** A folder's remote deletes marked and not done yet (max_deletes counts them). */
  pendingDeletes(folder: string): number {
    return this.sql(`SELECT count(*) FROM files WHERE folder = ? AND state = 'deleting'`).pluck().get(folder) as number;
  }

  /**
   * The wall clock stepped by `stepMs` (positive: forward), or may have unwatched (start-up: 0).
   * next_attempt_at is wall-clock time, so waits survive a restart; in one transaction:
   * - waits running at the step keep what was left of them (moved by the step): none fires early or stretches;
   * - invariant, whatever the clock did: a wait ends at most its own length (wait_ms, recorded when
   *   set) from now, so a wait set in a timeline the clock has left is never longer than its back-off.
   * Returns how many rows moved.
   */
  reschedule(stepMs: number, now = Date.now()): number {
    const step = Math.round(stepMs);
    return this.db.transaction(() => {
      let moved = 0;
      if (step !== 0) {
        // Waiting at the step: due after the wall time just before it (now - step).
        moved += this.sql(
          `UPDATE files SET next_attempt_at = next_attempt_at + @step WHERE state IN ('queued','deleting') AND next_attempt_at > @before`,
        ).run({ step, before: now - step }).changes;
      }
      // `next_attempt_at > @now` first: files_pending_due then looks only at rows due later than now.
      moved += this.sql(
        `UPDATE files SET next_attempt_at = @now + wait_ms
         WHERE state IN ('queued','deleting') AND next_attempt_at > @now AND next_attempt_at > @now + wait_ms`,
      ).run({ now }).changes;
      return moved;
    })();
  }

  /** When the folders' next queued row becomes due (ms epoch), or undefined if none waits. */
  nextDueAt(folders: readonly string[]): number | undefined {
    const due = this.sql(
      `SELECT min(next_attempt_at) FROM files WHERE state IN ('queued','deleting') AND folder IN (SELECT value FROM json_each(?))`,
    ).pluck();
    return (due.get(JSON.stringify(folders)) as number | null) ?? undefined;
  }
}

/**
 * A file's key below the prefix, as the daemon's objectKey() builds it: '\' is a separator on
 * Windows only; elsewhere it is part of a name (`a\b.txt` and `a/b.txt` are two objects).
 */
const KEY_PATH_SQL = sep === '\\' ? `replace(rel_path, '\\', '/')` : 'rel_path';

/** Rows per page of reconcileKeys(). */
const RECONCILE_KEYS_PAGE = 65_536;

/** A delete not leased and due further away than this is a delete_delay: `once` does not wait for it. */
const DELAYED_DELETE_MS = 60_000;

/** A deletion claimed by a worker is not claimed again for this long (released at restart). */
const DELETE_LEASE_MS = 10 * 60_000;
