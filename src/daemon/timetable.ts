import cron from 'node-cron';
import type { ScheduledTask } from 'node-cron';
import type { TimetableConfig, TimetableEntry } from '../config/index.js';

/**
 * Evaluates a `timetable:` at any instant (pure: the caller passes the time). Each setting (uploads,
 * bandwidth) holds from the latest minute at which an entry setting it matched, looking back at most
 * LOOKBACK_MS; at one minute, a later entry in the list overrides an earlier one. Looking at matching
 * minutes, never at "today's" entries, holds across midnight and the week's end. Settings no entry
 * set within the look-back are the defaults: open, unlimited.
 *
 * Minutes are matched by node-cron in the timetable's zone, so a local time skipped by a DST change
 * never matches (the setting before it carries on) and one repeated matches twice (no harm).
 */

export interface TimetableState {
  uploadsOpen: boolean;
  /** Bytes per second; null = unlimited. */
  bandwidth: number | null;
}

/** A week and a day: every weekly entry has matched at least once in this span. */
const LOOKBACK_MS = 8 * 86_400_000;
const MINUTE_MS = 60_000;

export class Timetable {
  /** One task per entry, in the timetable's zone: match() serves stateAt and nextChange; start() runs them. */
  private readonly matchers: { entry: TimetableEntry; task: ScheduledTask }[];
  readonly timeZone: string;

  constructor(
    readonly config: TimetableConfig,
    /** Called at every minute an entry matches, once start() was called. */
    onFire: (entry: TimetableEntry) => void = () => undefined,
  ) {
    this.timeZone = config.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
    this.matchers = config.entries.map((entry) => ({
      entry,
      task: cron.createTask(entry.at, () => onFire(entry), { timezone: this.timeZone }),
    }));
  }

  start(): void {
    for (const { task } of this.matchers) void task.start();
  }

  /** What holds at `at`. */
  stateAt(at: Date): TimetableState {
    const sets = {
      uploads: this.config.entries.some((e) => e.uploads !== undefined),
      bandwidth: this.config.entries.some((e) => e.bandwidth !== undefined),
    };
    let uploads: TimetableEntry['uploads'];
    let bandwidth: TimetableEntry['bandwidth'];
    const start = floorMinute(at.getTime());
    for (let t = start; t > start - LOOKBACK_MS; t -= MINUTE_MS) {
      if ((!sets.uploads || uploads !== undefined) && (!sets.bandwidth || bandwidth !== undefined)) break;
      const minute = new Date(t);
      // Latest in the list first: at one minute, it wins.
      for (let i = this.matchers.length - 1; i >= 0; i--) {
        const { entry, task } = this.matchers[i]!;
        if ((entry.uploads === undefined || uploads !== undefined) && (entry.bandwidth === undefined || bandwidth !== undefined)) continue;
        if (!task.match(minute)) continue;
        uploads ??= entry.uploads;
        if (bandwidth === undefined && entry.bandwidth !== undefined) bandwidth = entry.bandwidth;
      }
    }
    return { uploadsOpen: (uploads ?? 'open') === 'open', bandwidth: bandwidth ?? null };
  }

  /** The first minute after `after` (within LOOKBACK_MS) at which the state changes, and to what. */
  nextChange(after: Date): { at: Date; state: TimetableState } | undefined {
    let state = this.stateAt(after);
    const start = floorMinute(after.getTime()) + MINUTE_MS;
    for (let t = start; t <= start + LOOKBACK_MS; t += MINUTE_MS) {
      const minute = new Date(t);
      let next = state;
      for (const { entry, task } of this.matchers) {
        if (!task.match(minute)) continue;
        next = {
          uploadsOpen: entry.uploads === undefined ? next.uploadsOpen : entry.uploads === 'open',
          bandwidth: entry.bandwidth === undefined ? next.bandwidth : entry.bandwidth,
        };
      }
      if (next.uploadsOpen !== state.uploadsOpen || next.bandwidth !== state.bandwidth) return { at: minute, state: next };
      state = next;
    }
    return undefined;
  }

  destroy(): void {
    for (const { task } of this.matchers) void task.destroy();
  }
}

function floorMinute(ms: number): number {
  return Math.floor(ms / MINUTE_MS) * MINUTE_MS;
}
