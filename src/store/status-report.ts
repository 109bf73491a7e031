import { StoreTable } from './database.js';
import type { FileRow } from './types.js';

export type InFlightFile = Pick<FileRow, 'folder' | 'relPath' | 'size' | 'bytesDone' | 'startedAt'>;

export interface FailedFile extends Pick<FileRow, 'folder' | 'relPath' | 'attempts' | 'lastError' | 'nextAttemptAt'> {
  /** Still retrying (queued with back-off) rather than parked. */
  retrying: boolean;
}

export interface FolderCounts {
  folder: string;
  queued: number;
  uploading: number;
  verified: number;
  failed: number;
  deleting: number;
  /** Queued files that failed and wait for their back-off, or wait for their folder's rest to end (with the reason). */
  retrying: number;
  /** Bytes still to send: queued files whole, uploading ones less what the server acknowledged. */
  queuedBytes: number;
  verifiedBytes: number;
}

/** Read-only queries behind `oss-sync status`; safe while the daemon writes (WAL). */
export class StatusReport extends StoreTable {
  folderCounts(): FolderCounts[] {
    return this.sql(
      `SELECT folder,
           sum(state = 'queued') AS queued, sum(state = 'uploading') AS uploading, sum(state = 'verified') AS verified,
           sum(state = 'failed') AS failed, sum(state = 'deleting') AS deleting,
           sum(state = 'queued' AND (attempts > 0 OR last_error IS NOT NULL)) AS retrying,
           sum(CASE WHEN state = 'queued' THEN size WHEN state = 'uploading' THEN max(size - bytes_done, 0) ELSE 0 END) AS queuedBytes,
           sum(CASE WHEN state = 'verified' THEN size ELSE 0 END) AS verifiedBytes
         FROM files GROUP BY folder ORDER BY folder`,
    ).all() as FolderCounts[];
  }

  /** When `oss-sync verify` last found everything in order (epoch ms), or null. */
  lastVerifiedAt(): number | null {
    return (this.sql(`SELECT finished_at FROM runs WHERE name = 'verify'`).pluck().get() as number | undefined) ?? null;
  }

  /** When the longest-waiting queued file was queued (epoch ms), or null when none is queued. */
  oldestQueuedAt(): number | null {
    return this.sql(`SELECT min(queued_at) FROM files WHERE state = 'queued'`).pluck().get() as number | null;
  }

  inFlight(limit = 50): InFlightFile[] {
    return this.sql(
      `SELECT folder, rel_path AS relPath, size, bytes_done AS bytesDone, started_at AS startedAt
         FROM files WHERE state = 'uploading' ORDER BY started_at LIMIT ?`,
    ).all(limit) as InFlightFile[];
  }

  problems(limit = 50): FailedFile[] {
    const rows = this.sql(
      `SELECT folder, rel_path AS relPath, attempts, last_error AS lastError, state IN ('queued','deleting') AS retrying,
           next_attempt_at AS nextAttemptAt
         FROM files WHERE state = 'failed' OR (state IN ('queued','deleting') AND (attempts > 0 OR last_error IS NOT NULL))
         ORDER BY state = 'failed' DESC, folder, rel_path LIMIT ?`,
    ).all(limit) as Array<Omit<FailedFile, 'retrying'> & { retrying: number }>;
    return rows.map((r) => ({ ...r, retrying: Boolean(r.retrying) }));
  }
}
