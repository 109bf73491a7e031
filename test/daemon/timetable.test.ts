import { describe, expect, it } from 'vitest';
import type { TimetableConfig } from '../../src/config/index.js';
import { Timetable } from '../../src/daemon/timetable.js';
import { waitFor } from '../helpers/wait.js';

const MiB = 2 ** 20;

/** Evaluated at instants given in UTC: the clock is whatever the test says (no waiting). */
function timetable(entries: TimetableConfig['entries'], timeZone = 'UTC'): Timetable {
  return new Timetable({ timeZone, cutoff: 'soft', ossTrafficLimit: false, entries });
}

const OFFICE = [
  { at: '0 9 * * 1-5', bandwidth: 2 * MiB },
  { at: '0 18 * * 1-5', bandwidth: null },
];
const NIGHT_CLOSED = [
  { at: '0 1 * * *', uploads: 'closed' as const },
  { at: '0 5 * * *', uploads: 'open' as const },
];

describe('timetable evaluation', () => {
  it('carries a weekday limit forward through the day and lifts it in the evening', () => {
    const t = timetable(OFFICE);
    // 2026-12-07 is a Monday.
    expect(t.stateAt(new Date('2026-12-07T08:59:59Z'))).toEqual({ uploadsOpen: true, bandwidth: null });
    expect(t.stateAt(new Date('2026-12-07T09:00:00Z'))).toEqual({ uploadsOpen: true, bandwidth: 2 * MiB });
    expect(t.stateAt(new Date('2026-12-07T13:37:10Z')).bandwidth).toBe(2 * MiB);
    expect(t.stateAt(new Date('2026-12-07T18:00:00Z')).bandwidth).toBeNull();
    t.destroy();
  });

  it('is right across the week end: Friday evening unlimited through Monday 09:00', () => {
    const t = timetable(OFFICE);
    expect(t.stateAt(new Date('2026-12-11T17:59:00Z')).bandwidth).toBe(2 * MiB); // Friday
    expect(t.stateAt(new Date('2026-12-12T12:00:00Z')).bandwidth).toBeNull(); // Saturday
    expect(t.stateAt(new Date('2026-12-14T08:00:00Z')).bandwidth).toBeNull(); // Monday early
    expect(t.nextChange(new Date('2026-12-12T12:00:00Z'))).toEqual({
      at: new Date('2026-12-14T09:00:00Z'),
      state: { uploadsOpen: true, bandwidth: 2 * MiB },
    });
    t.destroy();
  });

  it('keeps a window closed across midnight and says when it opens', () => {
    const t = timetable([
      { at: '0 22 * * *', uploads: 'closed' },
      { at: '0 6 * * *', uploads: 'open' },
    ]);
    expect(t.stateAt(new Date('2026-12-07T23:30:00Z')).uploadsOpen).toBe(false);
    expect(t.stateAt(new Date('2026-12-08T02:00:00Z')).uploadsOpen).toBe(false);
    expect(t.stateAt(new Date('2026-12-08T06:00:00Z')).uploadsOpen).toBe(true);
    expect(t.nextChange(new Date('2026-12-08T02:00:00Z'))?.at).toEqual(new Date('2026-12-08T06:00:00Z'));
    t.destroy();
  });

  it('keeps each setting from the last entry that set it, windows and bandwidth independent', () => {
    const t = timetable([...OFFICE, ...NIGHT_CLOSED]);
    expect(t.stateAt(new Date('2026-12-08T03:00:00Z'))).toEqual({ uploadsOpen: false, bandwidth: null }); // Tuesday night
    expect(t.stateAt(new Date('2026-12-08T10:00:00Z'))).toEqual({ uploadsOpen: true, bandwidth: 2 * MiB });
    t.destroy();
  });

  it('lets a later entry win when two match the same minute', () => {
    const t = timetable([
      { at: '0 12 * * *', bandwidth: MiB },
      { at: '0 12 * * *', bandwidth: 3 * MiB },
    ]);
    expect(t.stateAt(new Date('2026-12-08T12:00:00Z')).bandwidth).toBe(3 * MiB);
    t.destroy();
  });

  it('evaluates in the configured time zone', () => {
    const t = timetable(OFFICE, 'Asia/Tokyo'); // UTC+9, no DST
    expect(t.stateAt(new Date('2026-12-07T00:00:00Z')).bandwidth).toBe(2 * MiB); // 09:00 Monday in Tokyo
    expect(t.stateAt(new Date('2026-12-06T23:59:00Z')).bandwidth).toBeNull(); // 08:59 Monday in Tokyo
    t.destroy();
  });

  it('across a DST change: a skipped local time never fires, the setting before it holds', () => {
    // Europe/Berlin, 2026-03-29: 02:00 local jumps to 03:00 (01:00Z). "30 2" does not exist that day.
    const t = timetable(
      [
        { at: '0 1 * * *', uploads: 'closed' },
        { at: '30 2 * * *', uploads: 'open' },
      ],
      'Europe/Berlin',
    );
    expect(t.stateAt(new Date('2026-03-28T02:00:00Z')).uploadsOpen).toBe(true); // 03:00 CET on the 28th: opened at 02:30
    expect(t.stateAt(new Date('2026-03-29T03:00:00Z')).uploadsOpen).toBe(false); // 05:00 CEST: 02:30 never came
    expect(t.stateAt(new Date('2026-03-30T01:00:00Z')).uploadsOpen).toBe(true); // 03:00 CEST on the 30th
    t.destroy();
  });

  it('across the autumn DST change: local hours count in the new offset', () => {
    // Europe/Berlin, 2026-10-25: 03:00 CEST goes back to 02:00 CET (01:00Z).
    const t = timetable(
      OFFICE.map((e) => ({ ...e, at: e.at.replace('1-5', '*') })),
      'Europe/Berlin',
    );
    expect(t.stateAt(new Date('2026-10-25T07:59:00Z')).bandwidth).toBeNull(); // 08:59 CET
    expect(t.stateAt(new Date('2026-10-25T08:00:00Z')).bandwidth).toBe(2 * MiB); // 09:00 CET
    expect(t.nextChange(new Date('2026-10-24T20:00:00Z'))?.at).toEqual(new Date('2026-10-25T08:00:00Z'));
    t.destroy();
  });

  it('defaults to open and unlimited when no entry matched within the look-back', () => {
    const t = timetable([{ at: '0 0 1 1 *', uploads: 'closed', bandwidth: MiB }]); // New Year only
    expect(t.stateAt(new Date('2026-06-01T00:00:00Z'))).toEqual({ uploadsOpen: true, bandwidth: null });
    expect(t.stateAt(new Date('2026-01-03T00:00:00Z'))).toEqual({ uploadsOpen: false, bandwidth: MiB });
    expect(t.nextChange(new Date('2026-06-01T00:00:00Z'))).toBeUndefined();
    t.destroy();
  });
});

describe('timetable firing', () => {
  it('calls onFire with the entry at each minute it matches, once started', async () => {
    const fired: string[] = [];
    // node-cron also takes a seconds field: every second stands in for every minute.
    const entries = [{ at: '* * * * * *', uploads: 'open' as const }];
    const t = new Timetable({ timeZone: 'UTC', cutoff: 'soft', ossTrafficLimit: false, entries }, (entry) => fired.push(entry.at));
    try {
      t.start();
      await waitFor(() => fired.length >= 2, { what: 'two firings', timeoutMs: 5_000 });
      expect(fired[0]).toBe('* * * * * *');
    } finally {
      t.destroy();
    }
  });
});
