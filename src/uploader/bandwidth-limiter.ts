import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';

/** The clock a limiter runs on; tests inject their own. */
export interface LimiterClock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The clock of the process (the pacer's too): its sleep rejects with the signal's reason as soon as the signal fires. */
export const realClock: LimiterClock = {
  now: () => performance.now(),
  // Node's abortable timer rejects with an AbortError (the reason only as its cause): callers get the reason itself.
  sleep: (ms, signal) =>
    sleep(ms, undefined, { signal }).catch((err: unknown) => {
      throw signal?.aborted ? signal.reason : err;
    }),
};

/**
 * At most this much idle time is credited: after a pause no more than BURST_MS of the rate goes at
 * once (kopia#2665: a bucket a second deep lets a whole second's bytes out after each pause).
 */
const BURST_MS = 25;
/** Pieces never smaller than this, so a low rate does not mean a write per few bytes. */
const MIN_PIECE_BYTES = 1024;

/**
 * One token bucket over request body bytes, shared by every request (restic's "limits as wrappers
 * around the backend"). Grants are served one at a time, in call order: each waits until `tat`, when the
 * bytes granted so far would have gone at exactly the rate, then moves it on by its own bytes' time.
 *
 * Invariant: bytes granted in any span of T ms <= rate x (T + BURST_MS) / 1000 + one piece. A grant
 * computes its wait when its turn comes, not when asked (as a reservation up front would): grants
 * queued behind an event-loop stall (GC, busy CPU) do not all go at once, lost time being credited up to BURST_MS only.
 */
export class BandwidthLimiter {
  /** When the bytes granted so far would have been sent at exactly the rate. */
  private tat = Number.NEGATIVE_INFINITY;
  /** The last grant in line: the next waits for it. */
  private tail: Promise<void> = Promise.resolve();

  constructor(
    private bytesPerSecond: number | null = null,
    private readonly clock: LimiterClock = realClock,
  ) {}

  /** Bytes per second; null = unlimited. */
  get rate(): number | null {
    return this.bytesPerSecond;
  }

  /** Takes effect from the next grant; time owed at the old rate is forgiven (the new rate starts now). */
  setRate(bytesPerSecond: number | null): void {
    if (bytesPerSecond === this.bytesPerSecond) return;
    this.bytesPerSecond = bytesPerSecond;
    this.tat = Math.min(this.tat, this.clock.now());
  }

  /** The largest piece one grant should cover: BURST_MS of the rate. */
  pieceBytes(): number {
    const rate = this.bytesPerSecond;
    return rate === null ? Infinity : Math.max(MIN_PIECE_BYTES, Math.floor((rate * BURST_MS) / 1000));
  }

  /** Resolves when `bytes` may be sent (at once when unlimited); rejects when the signal fires. */
  take(bytes: number, signal?: AbortSignal): Promise<void> {
    if (this.bytesPerSecond === null || bytes <= 0) return Promise.resolve();
    const turn = this.tail.then(() => this.grant(bytes, signal));
    this.tail = turn.catch(() => undefined); // an abandoned grant does not hold up the others
    return turn;
  }

  private async grant(bytes: number, signal: AbortSignal | undefined): Promise<void> {
    signal?.throwIfAborted();
    const rate = this.bytesPerSecond;
    if (rate === null) return; // lifted while this one waited for its turn
    const now = this.clock.now();
    this.tat = Math.max(this.tat, now - BURST_MS);
    const wait = this.tat - now;
    if (wait > 0) await this.clock.sleep(wait, signal);
    this.tat += (bytes * 1000) / rate;
  }

  /** `source` passed through this limiter, piece by piece; destroying the result destroys the source. */
  throttle(source: Readable): Readable {
    const stop = new AbortController();
    const out = new Transform({
      transform: (chunk: Buffer, _encoding, callback: TransformCallback) => {
        void (async () => {
          for (let offset = 0; offset < chunk.length;) {
            const piece = chunk.subarray(offset, offset + this.pieceBytes());
            await this.take(piece.length, stop.signal);
            out.push(piece);
            offset += piece.length;
          }
        })().then(
          () => callback(),
          (err: unknown) => callback(err as Error),
        );
      },
      destroy(err, callback) {
        stop.abort(err ?? new Error('body stream closed'));
        source.destroy(err ?? undefined);
        callback(err);
      },
    });
    source.once('error', (err) => out.destroy(err));
    return source.pipe(out);
  }
}
