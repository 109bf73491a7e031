import { realClock, type LimiterClock } from './bandwidth-limiter.js';
import { RetryAfterError } from './errors.js';
import { DEFAULT_RETRY_MAX_TIME_MS } from './retry-policy.js';

export interface PacingOptions {
  /** The first slow-down, and the delay below which a decaying one ends (full speed again). */
  minDelayMs: number;
  /** The longest spacing between request starts, whatever the endpoint says (a Retry-After excepted). */
  maxDelayMs: number;
  /**
   * The longest Retry-After obeyed; a longer one is cut to it. The pacer is shared and a first
   * attempt waits its turn whatever its budget, so an unbounded one (a proxy asking for hours)
   * would stall every request that long. The daemon sets it to oss.retry_max_time: a request never
   * waits out more than the time it may keep trying.
   */
  maxRetryAfterMs: number;
}

export const DEFAULT_PACING: PacingOptions = { minDelayMs: 100, maxDelayMs: 30_000, maxRetryAfterMs: DEFAULT_RETRY_MAX_TIME_MS };

/** Pure: the delay after the endpoint pushed back (doubling from minDelayMs, capped; Retry-After, up to its cap, is a floor). */
export function raisedDelay(
  delayMs: number,
  err: unknown,
  { minDelayMs, maxDelayMs, maxRetryAfterMs }: PacingOptions = DEFAULT_PACING,
): number {
  const doubled = Math.min(maxDelayMs, Math.max(minDelayMs, delayMs * 2));
  return Math.max(doubled, err instanceof RetryAfterError ? Math.min(err.retryAfterMs, maxRetryAfterMs) : 0);
}

/** Pure: the delay after a success (three quarters; below minDelayMs it is over). */
export function decayedDelay(delayMs: number, { minDelayMs }: PacingOptions = DEFAULT_PACING): number {
  const next = Math.floor((delayMs * 3) / 4);
  return next < minDelayMs ? 0 : next;
}

/** A reserved start: after waitMs, valid while the pacer is still in `regime`. */
export interface Slot {
  waitMs: number;
  regime: number;
}

/**
 * One adaptive delay for every request to one endpoint (rclone's pacer idea): while it is above 0,
 * request starts are spaced by it, so the client as a whole slows down, not each request on its own.
 *
 * Invariants: a push-back raises the delay only if its request started under the current regime
 * (after the last raise): 16 requests that meet SlowDown together raise it once, not 16 times.
 * A raise starts a new regime: nothing starts before now + the new delay, and every start reserved
 * before it is void (its request takes a new one at the new spacing), so no request reaches a
 * pushing-back endpoint at the old rate.
 */
export class Pacer {
  private delay = 0;
  /** The earliest time the next request may start. */
  private nextStartAt = Number.NEGATIVE_INFINITY;
  private currentRegime = 0;
  private readonly options: PacingOptions;

  /** Options left out (or undefined, as an unset oss.retry_max_time) are DEFAULT_PACING's. */
  constructor(
    options: { [K in keyof PacingOptions]?: number | undefined } = {},
    readonly clock: LimiterClock = realClock,
  ) {
    this.options = {
      minDelayMs: options.minDelayMs ?? DEFAULT_PACING.minDelayMs,
      maxDelayMs: options.maxDelayMs ?? DEFAULT_PACING.maxDelayMs,
      maxRetryAfterMs: options.maxRetryAfterMs ?? DEFAULT_PACING.maxRetryAfterMs,
    };
  }

  /** The current spacing between request starts (0: full speed). */
  get delayMs(): number {
    return this.delay;
  }

  /** Read when a request starts; handed back to failed(). */
  get regime(): number {
    return this.currentRegime;
  }

  /** Reserves the next start, or nothing (undefined) if it would come after `deadline`. */
  reserve(deadline = Number.POSITIVE_INFINITY): Slot | undefined {
    const now = this.clock.now();
    const at = Math.max(now, this.nextStartAt);
    if (at > deadline) return undefined;
    this.nextStartAt = at + this.delay;
    return { waitMs: at - now, regime: this.currentRegime };
  }

  /**
   * Sleeps until `slot`, and while a raise voided it, until a new one. False: the turn would come
   * after `deadline`. A slot given up (the signal fired) only spaces later ones further.
   */
  async waitFor(slot: Slot, deadline: number, signal?: AbortSignal): Promise<boolean> {
    for (let s: Slot | undefined = slot; s !== undefined; s = this.reserve(deadline)) {
      if (s.waitMs > 0) await this.clock.sleep(s.waitMs, signal);
      if (s.regime === this.currentRegime) return true;
    }
    return false;
  }

  succeeded(): void {
    this.delay = decayedDelay(this.delay, this.options);
  }

  /** A request started under `regime` failed with a retryable error. */
  failed(regime: number, err: unknown): void {
    if (regime !== this.currentRegime) return;
    this.currentRegime++;
    this.delay = raisedDelay(this.delay, err, this.options);
    this.nextStartAt = this.clock.now() + this.delay;
  }
}
