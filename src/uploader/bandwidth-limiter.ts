import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { abortableSleep } from './abortable-sleep.js';

/** The clock a limiter runs on; tests inject their own. */
export interface LimiterClock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

const realClock: LimiterClock = { now: () => performance.now(), sleep: abortableSleep };

/**
 * At most this much idle time is credited: after a pause the first bytes go at once, but no more than
 * BURST_MS of the rate, so no second ever carries much more than one second of the rate (kopia#2665:
 * a bucket a second deep lets a whole second's bytes out at once after each pause).
 */
export const BURST_MS = 50;
/** Pieces never smaller than this, so a low rate does not mean a write per few bytes. */
const MIN_PIECE_BYTES = 1024;

/**
 * One token bucket over request body bytes, shared by every request (restic's "limits as wrappers
 * around the backend"): as GCRA, one "theoretical arrival time" `tat` advanced by each grant, so
 * grants are served in call order and the rate holds over any span longer than BURST_MS.
 *
 * Invariant: bytes granted by time T <= rate x (T - t0) / 1000 + rate x BURST_MS / 1000 + one piece,
 * for any t0 after the last rate change.
 */
export class BandwidthLimiter {
  private bytesPerSecond: number | null;
  /** When the bytes granted so far would have been sent at exactly the rate. */
  private tat = 0;

  constructor(
    bytesPerSecond: number | null = null,
    private readonly clock: LimiterClock = realClock,
  ) {
    this.bytesPerSecond = bytesPerSecond;
  }

  /** Bytes per second; null = unlimited. */
  get rate(): number | null {
    return this.bytesPerSecond;
  }

  /** Takes effect for the next grant; debt at the old rate is forgiven (the new rate starts now). */
  setRate(bytesPerSecond: number | null): void {
    if (bytesPerSecond === this.bytesPerSecond) return;
    this.bytesPerSecond = bytesPerSecond;
    this.tat = this.clock.now();
  }

  /** The largest piece one grant should cover: BURST_MS of the rate. */
  pieceBytes(): number {
    const rate = this.bytesPerSecond;
    return rate === null ? Infinity : Math.max(MIN_PIECE_BYTES, Math.floor((rate * BURST_MS) / 1000));
  }

  /** Resolves when `bytes` may be sent (at once when unlimited); rejects when the signal fires. */
  async take(bytes: number, signal?: AbortSignal): Promise<void> {
    const rate = this.bytesPerSecond;
    if (rate === null || bytes <= 0) return;
    const now = this.clock.now();
    this.tat = Math.max(this.tat, now - BURST_MS) + (bytes * 1000) / rate;
    const wait = this.tat - BURST_MS - now;
    if (wait > 0) await this.clock.sleep(wait, signal);
  }

  /** `source` passed through this limiter, piece by piece; destroying the result destroys the source. */
  throttle(source: Readable): Readable {
    const stop = new AbortController();
    const take = (bytes: number): Promise<void> => this.take(bytes, stop.signal);
    const pieceBytes = (): number => this.pieceBytes();
    const out = new Transform({
      transform(chunk: Buffer, _encoding, callback: TransformCallback) {
        void (async () => {
          for (let offset = 0; offset < chunk.length; ) {
            const piece = chunk.subarray(offset, offset + pieceBytes());
            await take(piece.length);
            this.push(piece);
            offset += piece.length;
          }
        })().then(() => callback(), (err: unknown) => callback(err as Error));
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
