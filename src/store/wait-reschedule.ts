import type { Db } from './database.js';

/**
 * The wall clock stepped by `stepMs` (positive: forward), or may have while nothing watched it
 * (start-up: pass 0). next_attempt_at is wall-clock time, kept so waits survive a restart; this keeps
 * them honest across a step, in one transaction:
 * - waits running at the step keep what was left of them (moved by the step): a step forward fires
 *   none early, a step back stretches none;
 * - then the invariant every wait keeps whatever the clock did: it ends at most its own length
 *   (wait_ms, recorded when it was set) from now. A wait set in a timeline the clock has left (a step
 *   back while stopped, a step not measured exactly) is never longer than the back-off it was given.
 * Returns how many rows moved.
 */
export function rescheduleWaits(db: Db, stepMs: number, now: number): number {
  const step = Math.round(stepMs);
  return db.transaction(() => {
    let moved = 0;
    if (step !== 0) {
      // Waiting at the step: due after the wall time just before it (now - step).
      moved += db
        .prepare(
          `UPDATE files SET next_attempt_at = next_attempt_at + @step WHERE state IN ('queued','deleting') AND next_attempt_at > @before`,
        )
        .run({ step, before: now - step }).changes;
    }
    // `next_attempt_at > @now` first: files_pending_due then looks only at rows due later than now.
    moved += db
      .prepare(
        `UPDATE files SET next_attempt_at = @now + wait_ms
         WHERE state IN ('queued','deleting') AND next_attempt_at > @now AND next_attempt_at > @now + wait_ms`,
      )
      .run({ now }).changes;
    return moved;
  })();
}
