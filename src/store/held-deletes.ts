import { StoreTable } from './database.js';
import type { FileRow } from './types.js';

export type HeldDelete = Pick<FileRow, 'folder' | 'relPath'> & { reason: string; heldAt: number };

/**
 * A mirror folder's remote deletes paused by max_deletes (held_deletes). The file's row stays as it
 * was (its object stays on OSS) until `oss-sync retry --deletes` releases the deletes, or the file
 * comes back (then the hold is moot and dropped).
 */
export class HeldDeletes extends StoreTable {
  hold(folder: string, relPaths: readonly string[], reason: string, now = Date.now()): void {
    const hold = 'INSERT OR IGNORE INTO held_deletes (folder, rel_path, reason, held_at) VALUES (?, ?, ?, ?)';
    this.runEach(hold, relPaths, (relPath) => [folder, relPath, reason, now]);
  }

  /** Which of the paths are held. */
  heldOf(folder: string, relPaths: readonly string[]): Set<string> {
    const held = this.sql('SELECT 1 FROM held_deletes WHERE folder = ? AND rel_path = ?').pluck();
    return new Set(relPaths.filter((relPath) => held.get(folder, relPath) !== undefined));
  }

  count(folder?: string): number {
    const count = this.sql('SELECT count(*) FROM held_deletes WHERE @folder IS NULL OR folder = @folder').pluck();
    return count.get({ folder: folder ?? null }) as number;
  }

  list(limit = 100): HeldDelete[] {
    return this.sql(
      'SELECT folder, rel_path AS relPath, reason, held_at AS heldAt FROM held_deletes ORDER BY folder, rel_path LIMIT ?',
    ).all(limit) as HeldDelete[];
  }

  /** The file is back: its delete is moot. */
  drop(folder: string, relPaths: readonly string[]): void {
    this.runEach('DELETE FROM held_deletes WHERE folder = ? AND rel_path = ?', relPaths, (relPath) => [folder, relPath]);
  }

  /**
   * `oss-sync retry --deletes`: the held deletes (all, or one folder's) go ahead now: in ONE
   * transaction each row still known is marked for deletion and its hold dropped. Returns how many.
   */
  release(folder?: string, now = Date.now()): number {
    return this.db.transaction(() => {
      const released = this.sql(
        `UPDATE files SET state = 'deleting', generation = generation + 1, attempts = 0, last_error = NULL, next_attempt_at = 0,
           wait_ms = 0, started_at = NULL, queued_at = @now
         WHERE EXISTS (SELECT 1 FROM held_deletes h WHERE h.folder = files.folder AND h.rel_path = files.rel_path
           AND (@folder IS NULL OR h.folder = @folder))`,
      ).run({ now, folder: folder ?? null }).changes;
      this.sql('DELETE FROM held_deletes WHERE @folder IS NULL OR folder = @folder').run({ folder: folder ?? null });
      return released;
    })();
  }
}
