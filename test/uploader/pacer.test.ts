import { describe, expect, it } from 'vitest';
import { PermanentError, StorageError } from '../../src/uploader/errors.js';
import { Pacer } from '../../src/uploader/pacer.js';
import { defaultRetryPolicy } from '../../src/uploader/retry-policy.js';
import { retryCall, withRetries } from '../../src/uploader/retrying-storage.js';
import { MemoryStorage } from '../helpers/memory-storage.js';

const pacing = { minDelayMs: 100, maxDelayMs: 1_000 };
const slowDown = (): StorageError => new StorageError('UploadPart', 'b', 'k', 'SlowDown', 503, undefined);

/** Time moves only when someone sleeps: the pacer's logic without real time. */
function fakeClock() {
  const clock = {
    t: 0,
    now: () => clock.t,
    sleep: async (ms: number) => {
      clock.t += ms;
    },
  };
  return clock;
}

describe('Pacer', () => {
  it('a push-back doubles the delay from the minimum up to the cap; each success takes a quarter off, and below the minimum it is over', () => {
    const pacer = new Pacer(pacing, fakeClock());
    const delays = [1, 2, 3, 4, 5].map(() => (pacer.failed(pacer.regime), pacer.delayMs));
    expect(delays).toEqual([100, 200, 400, 800, 1_000]);
    const decayed = [1, 2, 3, 4, 5, 6, 7].map(() => (pacer.succeeded(), pacer.delayMs));
    expect(decayed).toEqual([750, 562, 421, 315, 236, 177, 132]);
    pacer.succeeded();
    expect(pacer.delayMs).toBe(0);
  });

  it('at full speed lets every request start at once', () => {
    const pacer = new Pacer(pacing, fakeClock());
    expect(Array.from({ length: 16 }, () => pacer.reserve()!.waitMs)).toEqual(Array(16).fill(0));
  });

  it('16 requests meeting SlowDown together slow the client down once, and their retries are spaced', () => {
    const pacer = new Pacer(pacing, fakeClock());
    const regimes = Array.from({ length: 16 }, () => pacer.reserve()!.regime);
    for (const regime of regimes) pacer.failed(regime);
    expect(pacer.delayMs).toBe(100);
    // Nothing starts before the rest is over, then one start per delay, not 16 at once.
    expect(Array.from({ length: 16 }, () => pacer.reserve()!.waitMs)).toEqual(Array.from({ length: 16 }, (_, i) => 100 * (i + 1)));
  });

  it('a request started after the raise that meets SlowDown again raises it again, up to the cap', () => {
    const pacer = new Pacer(pacing, fakeClock());
    for (const expected of [100, 200, 400, 800, 1_000, 1_000]) {
      pacer.failed(pacer.regime);
      expect(pacer.delayMs).toBe(expected);
    }
  });

  it('successes bring it back to full speed', () => {
    const clock = fakeClock();
    const pacer = new Pacer(pacing, clock);
    pacer.failed(pacer.regime);
    pacer.failed(pacer.regime);
    clock.t += 1_000;
    const waits: number[] = [];
    while (pacer.delayMs > 0) {
      waits.push(pacer.reserve()!.waitMs);
      clock.t += waits.at(-1)!;
      pacer.succeeded();
    }
    expect(waits).toEqual([0, 200, 150]);
    // The slot reserved at the old spacing is kept; after it, everyone starts at once again.
    expect(pacer.reserve()!.waitMs).toBe(112);
    clock.t += 112;
    expect([pacer.reserve()!.waitMs, pacer.reserve()!.waitMs]).toEqual([0, 0]);
  });

  it('a raise voids the starts reserved before it: their requests wait for the new spacing', async () => {
    const clock = fakeClock();
    const pacer = new Pacer(pacing, clock);
    pacer.failed(pacer.regime);
    const first = pacer.reserve()!;
    const second = pacer.reserve()!;
    expect([first.waitMs, second.waitMs]).toEqual([100, 200]);
    clock.t = 100; // the first starts, under the current regime, and meets SlowDown again
    pacer.failed(first.regime);
    expect(await pacer.waitFor(second, Infinity)).toBe(true);
    expect(clock.t).toBe(300); // not 200: 100 + the new delay of 200
  });

  it('reserves nothing past a deadline', () => {
    const pacer = new Pacer(pacing, fakeClock());
    pacer.failed(pacer.regime);
    expect(pacer.reserve(50)).toBeUndefined();
    expect(pacer.reserve(100)!.waitMs).toBe(100);
  });
});

describe('retryCall', () => {
  it('keeps trying for its time budget, not a number of attempts, then throws the last error', async () => {
    const clock = fakeClock();
    const pacer = new Pacer(pacing, clock);
    const starts: number[] = [];
    const call = retryCall('UploadPart', pacer, defaultRetryPolicy({ maxTimeMs: 2_000 }), undefined, async () => {
      starts.push(clock.t);
      throw slowDown();
    });
    await expect(call).rejects.toThrow(/SlowDown/);
    // Waits 100, 200, 400, 800: the next (1,000 more, at 2,500) would start after the budget.
    expect(starts).toEqual([0, 100, 300, 700, 1_500]);
  });

  it('passes a permanent error straight through, the pace untouched', async () => {
    const pacer = new Pacer(pacing, fakeClock());
    let calls = 0;
    const call = retryCall('PutObject', pacer, defaultRetryPolicy(), undefined, async () => {
      calls++;
      throw new PermanentError('no', { cause: slowDown() });
    });
    await expect(call).rejects.toThrow(PermanentError);
    expect(calls).toBe(1);
    expect(pacer.delayMs).toBe(0);
  });

  it('a success after SlowDown decays the shared delay', async () => {
    const pacer = new Pacer(pacing, fakeClock());
    let calls = 0;
    const result = await retryCall('HeadObject', pacer, defaultRetryPolicy(), undefined, async () => {
      if (++calls < 4) throw slowDown();
      return 'ok';
    });
    expect(result).toBe('ok');
    expect(pacer.delayMs).toBe(300); // raised to 400 by three failures, then a quarter off
  });

  it('through withRetries: a wrapped SlowDown is retried (the cause decides), AccessDenied goes straight to the caller', async () => {
    const storage = new MemoryStorage();
    const ref = { bucket: 'b', key: 'k' };
    let slowDowns = 1;
    storage.beforeRequest = ({ key }) => {
      if (key === 'denied') throw new StorageError('HeadObject', 'b', key, 'AccessDenied', 403, undefined);
      if (slowDowns-- > 0) throw new Error('request failed', { cause: slowDown() });
    };
    const retrying = withRetries(storage, new Pacer(pacing, fakeClock()), defaultRetryPolicy());
    expect(await retrying.head(ref)).toBeUndefined();
    expect(storage.count('HeadObject', 'k')).toBe(2);
    await expect(retrying.head({ bucket: 'b', key: 'denied' })).rejects.toThrow(/AccessDenied/);
    expect(storage.count('HeadObject', 'denied')).toBe(1);
  });
});
