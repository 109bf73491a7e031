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

  it('says once when a rest is over, and which folders a clear cut short', () => {
    const pauses = new FatalPauses();
    pauses.pause('photos', new Error('InvalidAccessKeyId'), 0);
    pauses.pause('logs', new Error('NoSuchBucket'), 30_000);
    expect(pauses.ended(59_999)).toEqual([]);
    expect(pauses.ended(60_000)).toEqual(['photos']);
    expect(pauses.ended(70_000)).toEqual([]);
    pauses.pause('dumps', new Error('NoSuchBucket'), 0); // over at 60 s, but not reported ended yet
    expect(pauses.clear()).toEqual(['logs', 'dumps']);
  });
});
