import { describe, expect, it } from 'vitest';
import { fileRetryDelayMs } from '../../src/daemon/transfer-worker.js';

describe('fileRetryDelayMs', () => {
  it('doubles from 2 s up to 10 minutes, between half and all of that, so files that failed together spread out', () => {
    const low = (attempt: number): number => fileRetryDelayMs(attempt, () => 0);
    const high = (attempt: number): number => fileRetryDelayMs(attempt, () => 1);
    expect([1, 2, 3, 4].map(low)).toEqual([1_000, 2_000, 4_000, 8_000]);
    expect([1, 2, 3, 4].map(high)).toEqual([2_000, 4_000, 8_000, 16_000]);
    expect(low(30)).toBe(300_000);
    expect(high(30)).toBe(600_000);
    const spread = new Set(Array.from({ length: 20 }, () => fileRetryDelayMs(5)));
    expect(spread.size).toBeGreaterThan(10);
  });
});
