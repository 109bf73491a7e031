import type { TimetableConfig } from '../config/index.js';
import { bytes } from './status-view.js';

/** `status`'s view of the upload window and bandwidth limit: stable --json shape. */
export interface TimetableStatus {
  timeZone: string;
  uploads: 'open' | 'closed';
  /** Bytes per second; null = unlimited. */
  bandwidth: number | null;
  /** The next change within a week and a day, or null. */
  nextChange: { at: string; uploads: 'open' | 'closed'; bandwidth: number | null } | null;
}

/**
 * Evaluated from the config file, as the daemon evaluates it (a running daemon applied the same file
 * at its start or last SIGHUP). node-cron is loaded only when there is a timetable.
 */
export async function timetableStatus(config: TimetableConfig | null, now = new Date()): Promise<TimetableStatus | null> {
  if (!config) return null;
  const { Timetable } = await import('../daemon/timetable.js');
  const timetable = new Timetable(config);
  try {
    const state = timetable.stateAt(now);
    const next = timetable.nextChange(now);
    return {
      timeZone: timetable.timeZone,
      uploads: state.uploadsOpen ? 'open' : 'closed',
      bandwidth: state.bandwidth,
      nextChange: next
        ? { at: next.at.toISOString(), uploads: next.state.uploadsOpen ? 'open' : 'closed', bandwidth: next.state.bandwidth }
        : null,
    };
  } finally {
    timetable.destroy();
  }
}

function describe(uploads: 'open' | 'closed', bandwidth: number | null): string {
  return `uploads ${uploads}, bandwidth ${bandwidth === null ? 'unlimited' : `${bytes(bandwidth)}/s`}`;
}

/** One line for the text view. */
export function renderTimetableStatus(t: TimetableStatus): string {
  const next = t.nextChange
    ? `; from ${t.nextChange.at} ${describe(t.nextChange.uploads, t.nextChange.bandwidth)}`
    : '; no change within 8 days';
  return `timetable: ${describe(t.uploads, t.bandwidth)} (${t.timeZone})${next}`;
}
