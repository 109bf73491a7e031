import type { RecordedPart } from './journal.js';
import type { ListedPart } from './object-storage.js';
import type { PlannedPart } from './part-plan.js';
import { etagHex } from './upload-context.js';

export interface ResumePlan {
  /** Recorded and still on the server unchanged: not sent again. */
  kept: RecordedPart[];
  /** Everything else: never recorded (in flight at the interruption), missing or different on the server. */
  toSend: PlannedPart[];
}

/**
 * Reconcile what the journal recorded with what ListParts shows. A part counts only when both agree
 * (same ETag and size): a part the server has but we never recorded was not verified by us, so it is
 * sent again; a recorded part the server lost is sent again.
 */
export function planResume(planned: PlannedPart[], recorded: RecordedPart[], onServer: ListedPart[]): ResumePlan {
  const recordedByNumber = new Map(recorded.map((p) => [p.partNumber, p]));
  const serverByNumber = new Map(onServer.map((p) => [p.partNumber, p]));
  const kept: RecordedPart[] = [];
  const toSend: PlannedPart[] = [];
  for (const part of planned) {
    const mine = recordedByNumber.get(part.partNumber);
    const theirs = serverByNumber.get(part.partNumber);
    const agree =
      mine !== undefined &&
      theirs !== undefined &&
      mine.size === part.size &&
      theirs.size === part.size &&
      etagHex(mine.etag) === etagHex(theirs.etag);
    if (agree) kept.push(mine);
    else toSend.push(part);
  }
  return { kept, toSend };
}
