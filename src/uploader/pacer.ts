import { realClock, type LimiterClock } from './bandwidth-limiter.js';

export interface PacingOptions {
  /** The first slow-down, and the delay below which a decaying one ends (full speed again). Default 100 ms. */
  minDelayMs?: number;
  /** The longest spacing between request starts, whatever the endpoint says. Default 30 s. */
  maxDelayMs?: number;
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
  private readonly minDelayMs: number;
  private readonly maxDelayMs: number;

  constructor(
    options: PacingOptions = {},
    readonly clock: LimiterClock = realClock,
  ) {
    this.minDelayMs = options.minDelayMs ?? 100;
    this.maxDelayMs = options.maxDelayMs ?? 30_000;
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

  /** Three quarters of the delay; below minDelayMs it is over. */
  succeeded(): void {
    const next = Math.floor((this.delay * 3) / 4);
    this.delay = next < this.minDelayMs ? 0 : next;
  }

  /** A request started under `regime` failed with a retryable error: the delay doubles, from minDelayMs up to maxDelayMs. */
  failed(regime: number): void {
    if (regime !== this.currentRegime) return;
    this.currentRegime++;
    this.delay = Math.min(this.maxDelayMs, Math.max(this.minDelayMs, this.delay * 2));
    this.nextStartAt = this.clock.now() + this.delay;
  }
}
