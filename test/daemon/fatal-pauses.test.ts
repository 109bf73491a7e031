import { describe, expect, it } from 'vitest';
import { FatalPauses } from '../../src/daemon/fatal-pauses.js';

describe('FatalPauses', () => {
  it('rests a folder a minute, twice as long each time after, never over 30 minutes, until cleared', () => {
    const pauses = new FatalPauses();
    const denied = new Error('AccessDenied');
    const lengths = Array.from({ length: 7 }, () => pauses.pause('photos', denied, 0));
    expect(lengths).toEqual([60_000, 120_000, 240_000, 480_000, 960_000, 1_800_000, 1_800_000]);
    expect(pauses.pausedBy('photos', 1_799_999)).toBe(denied);
    expect(pauses.pausedBy('photos', 1_800_000)).toBeUndefined();
    expect(pauses.pausedBy('logs', 0)).toBeUndefined();
    pauses.clear();
    expect(pauses.pausedBy('photos', 0)).toBeUndefined();
    expect(pauses.pause('photos', denied, 0)).toBe(60_000);
  });
});
