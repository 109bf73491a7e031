import { describe, expect, it } from 'vitest';
import { LiveStreaks, liveRetryDelayMs } from '../../src/daemon/live-backoff.js';

describe('the back-off of a file that keeps changing under its uploads', () => {
  it('starts at the window and doubles up to an hour', () => {
    expect([1, 2, 3, 4].map((n) => liveRetryDelayMs(n, 2_000))).toEqual([2_000, 4_000, 8_000, 16_000]);
    expect(liveRetryDelayMs(40, 2_000)).toBe(3_600_000);
  });

  it('counts tries in a row per file, and starts over once the file went up whole', () => {
    const streaks = new LiveStreaks(1_000);
    expect(streaks.nextTryAt(7, 0)).toBe(1_000);
    expect(streaks.nextTryAt(7, 0)).toBe(2_000);
    expect(streaks.nextTryAt(8, 0)).toBe(1_000);
    streaks.end(7);
    expect(streaks.nextTryAt(7, 0)).toBe(1_000);
  });
});
