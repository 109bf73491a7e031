import { describe, expect, it } from 'vitest';
import { BandwidthLimiter } from '../../src/uploader/index.js';
import { realClock } from '../../src/uploader/bandwidth-limiter.js';
import type { LimiterClock } from '../../src/uploader/index.js';

const KiB = 1024;
const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Time moves only when the test says; a "stall" moves it first and fires the overdue timers late. */
class ManualClock implements LimiterClock {
  t = 0;
  private timers: Array<{ at: number; resolve: () => void }> = [];
  now(): number {
    return this.t;
  }
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.timers.push({ at: this.t + ms, resolve }));
  }
  /** Runs time forward in steps of 1 ms, firing timers on time. */
  async runTo(t: number): Promise<void> {
    while (this.t < t) {
      this.t += 1;
      await this.fireDue();
    }
  }
  /** The event loop was blocked until t: every timer due meanwhile fires now, late. */
  async stallTo(t: number): Promise<void> {
    this.t = t;
    await this.fireDue();
  }
  private async fireDue(): Promise<void> {
    for (;;) {
      await flush();
      const due = this.timers.filter((x) => x.at <= this.t);
      if (due.length === 0) return;
      this.timers = this.timers.filter((x) => x.at > this.t);
      for (const d of due) d.resolve();
    }
  }
}

/** The most bytes granted within any window of windowMs. */
function largestWindow(grants: ReadonlyArray<{ at: number; bytes: number }>, windowMs: number): number {
  let best = 0;
  for (const g of grants) {
    const sum = grants.filter((o) => o.at >= g.at && o.at < g.at + windowMs).reduce((s, o) => s + o.bytes, 0);
    best = Math.max(best, sum);
  }
  return best;
}

describe('bandwidth limiter', () => {
  it('holds the rate and lets no stall of the event loop release a burst', async () => {
    const rate = 100 * KiB;
    const clock = new ManualClock();
    const limiter = new BandwidthLimiter(rate, clock);
    const piece = limiter.pieceBytes();
    const grants: Array<{ at: number; bytes: number }> = [];
    // Four requests' worth of pieces, all asking at once: 3 s of the rate.
    const all = Promise.all(
      Array.from({ length: Math.ceil((3 * rate) / piece) }, () =>
        limiter.take(piece).then(() => grants.push({ at: clock.t, bytes: piece })),
      ),
    );
    await clock.runTo(300);
    await clock.stallTo(800); // half a second with the loop blocked
    await clock.runTo(4000);
    await all;
    const total = grants.reduce((s, g) => s + g.bytes, 0);
    expect(total).toBeGreaterThanOrEqual(3 * rate);
    // Over the whole run: the rate, give or take the bucket (25 ms) and a piece.
    expect(grants.at(-1)!.at).toBeGreaterThanOrEqual(((total - piece) / rate) * 1000 - 25);
    // No one-second window carries more than a second of the rate, the bucket and a piece.
    expect(largestWindow(grants, 1000)).toBeLessThanOrEqual(Math.ceil(rate * 1.025 + piece));
  });

  it('changes rate at once, and unlimited grants at once', async () => {
    const clock = new ManualClock();
    const limiter = new BandwidthLimiter(null, clock);
    await limiter.take(10 * 2 ** 20); // unlimited: no wait at all
    limiter.setRate(200 * KiB);
    expect(limiter.rate).toBe(200 * KiB);
    let done = false;
    void limiter
      .take(10 * KiB)
      .then(() => limiter.take(10 * KiB))
      .then(() => (done = true));
    await clock.runTo(20);
    expect(done).toBe(false); // 20 KiB at 200 KiB/s: 50 ms less the 25 ms bucket
    await clock.runTo(60);
    expect(done).toBe(true);
  });
});

describe('realClock', () => {
  it("ends a sleep with the signal's own reason, whether it fires during the sleep or before it", async () => {
    const controller = new AbortController();
    const reason = new Error('stopping');
    const sleeping = realClock.sleep(3_600_000, controller.signal);
    controller.abort(reason);
    await expect(sleeping).rejects.toBe(reason);
    await expect(realClock.sleep(3_600_000, controller.signal)).rejects.toBe(reason);
  });
});
