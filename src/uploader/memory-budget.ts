/**
 * One byte budget for the part buffers of every upload of a process (see MultipartUpload.sendParts): an
 * upload takes its buffers' bytes before allocating them and gives them back once its parts are sent.
 *
 * Invariant: inUse <= limit at every moment (a lowered limit only holds back new acquisitions until
 * enough is released). No deadlock: an upload waits (acquire) only while it holds nothing; bytes for
 * further buffers it only takes if free at once (tryAcquire). Waiters are served in arrival order, and
 * tryAcquire does not overtake them, so a large upload waiting for its first buffer is not starved.
 */
export class MemoryBudget {
  private used = 0;
  private peak = 0;
  private readonly waiters: Array<{ bytes: number; grant: (granted: boolean) => void }> = [];

  /**
   * `sharers`: the uploads meant to share it (files in flight at once). Each takes buffers beyond its first
   * only up to its share (limit / sharers), so one upload's many parts do not hold every file after it waiting.
   */
  constructor(
    private limit: number,
    private sharers = 1,
  ) {
    if (!(limit > 0)) throw new RangeError(`memory budget must be positive, got ${limit}`);
  }

  get limitBytes(): number {
    return this.limit;
  }

  /** Bytes taken now. */
  get inUse(): number {
    return this.used;
  }

  /** The most bytes ever taken at once: what tests and `status` can hold the limit against. */
  get highWater(): number {
    return this.peak;
  }

  /** A reload changed the limit: waiters that can never fit now are told so (they stream instead). */
  setLimit(bytes: number, sharers = this.sharers): void {
    if (!(bytes > 0)) throw new RangeError(`memory budget must be positive, got ${bytes}`);
    this.limit = bytes;
    this.sharers = sharers;
    this.serve();
  }

  /** Takes `bytes` if they are free now and nobody waits before us. */
  tryAcquire(bytes: number): boolean {
    if (this.waiters.length > 0 || this.used + bytes > this.limit) return false;
    this.take(bytes);
    return true;
  }

  /**
   * Waits until `bytes` are free and takes them: true. False (nothing taken) when they exceed the
   * whole limit and so can never be had. Rejects with the signal's reason if aborted while waiting.
   */
  acquire(bytes: number, signal?: AbortSignal): Promise<boolean> {
    signal?.throwIfAborted();
    if (bytes > this.limit) return Promise.resolve(false);
    if (this.tryAcquire(bytes)) return Promise.resolve(true);
    return new Promise<boolean>((resolve, reject) => {
      const onAbort = (): void => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(signal!.reason);
        this.serve(); // the ones behind may fit now
      };
      const waiter = {
        bytes,
        grant: (granted: boolean): void => {
          signal?.removeEventListener('abort', onAbort);
          resolve(granted);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /**
   * Up to `want` buffers of `unit` bytes for one upload: waits for the first (holding nothing
   * meanwhile), then takes more only while their bytes are free at once and within the upload's
   * share. Returns how many were taken: 0 when one can never fit (the caller streams instead).
   */
  async acquireUpTo(want: number, unit: number, signal?: AbortSignal): Promise<number> {
    if (want <= 0 || !(await this.acquire(unit, signal))) return 0;
    let count = 1;
    const share = Math.max(Math.floor(this.limit / this.sharers), unit); // see the constructor
    while (count < want && (count + 1) * unit <= share && this.tryAcquire(unit)) count++;
    return count;
  }

  release(bytes: number): void {
    this.used -= bytes;
    if (this.used < 0) throw new Error(`internal: memory budget released ${-this.used} bytes more than taken`);
    this.serve();
  }

  private take(bytes: number): void {
    this.used += bytes;
    this.peak = Math.max(this.peak, this.used);
  }

  /** Grants waiters in order while the first fits (one that never can is refused). */
  private serve(): void {
    for (let first = this.waiters[0]; first; first = this.waiters[0]) {
      const canFit = first.bytes <= this.limit;
      if (canFit && this.used + first.bytes > this.limit) return;
      this.waiters.shift();
      if (canFit) this.take(first.bytes);
      first.grant(canFit);
    }
  }
}
