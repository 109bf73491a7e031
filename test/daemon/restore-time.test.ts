import { describe, expect, it } from 'vitest';
import { parseRestoreTime } from '../../src/daemon/restore/version-selection.js';

describe('restore --at: parseRestoreTime', () => {
  it('reads a time with a zone, in local time, or a date alone', () => {
    expect(parseRestoreTime('2026-12-04T10:00:00Z')?.toISOString()).toBe('2026-12-04T10:00:00.000Z');
    expect(parseRestoreTime('2026-12-04T10:00+05:30')?.toISOString()).toBe('2026-12-04T04:30:00.000Z');
    expect(parseRestoreTime('2026-12-04 10:00')?.getTime()).toBe(new Date(2026, 11, 4, 10, 0).getTime());
    expect(parseRestoreTime('2026-12-04')?.getTime()).toBe(new Date(2026, 11, 4).getTime());
    expect(parseRestoreTime('2024-02-29')?.getTime()).toBe(new Date(2024, 1, 29).getTime());
  });

  // JavaScript rolls an impossible date over (February 30th is March 2nd): a typo would restore the
  // folder as it was at another moment than the one asked for, without a word.
  it('refuses a date or time that does not exist instead of rolling it over', () => {
    for (const text of [
      '2026-02-30',
      '2026-02-29',
      '2026-04-31T10:00Z',
      '2026-12-04T24:00',
      '2026-12-04T10:60Z',
      '2026-00-10',
      'yesterday',
    ]) {
      expect(parseRestoreTime(text), text).toBeUndefined();
    }
  });
});
