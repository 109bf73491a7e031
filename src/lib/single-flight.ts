/**
 * Runs an async job one at a time: a request while it runs asks for exactly one more run after it,
 * however many requests came (the later run sees everything the requests were about). After
 * close() requests are ignored and no rerun starts.
 */
export class SingleFlight {
  private running: Promise<void> | undefined;
  private again = false;
  private closed = false;

  constructor(private readonly job: () => Promise<void>) {}

  /**
   * Starts the job at once (synchronously up to its first await) or, if it runs, once more after it.
   * Resolves when the run covering this request ended; rejects with the job's error (no rerun then).
   */
  request(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          await this.job();
        } while (this.again && !this.closed);
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  /** Takes no more requests and waits for the run under way (its error is the requester's). */
  async close(): Promise<void> {
    this.closed = true;
    await this.running?.catch(() => undefined);
  }
}
