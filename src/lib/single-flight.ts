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

  /** Whether a run is under way or about to start. */
  get busy(): boolean {
    return this.running !== undefined;
  }

  /**
   * Starts the job a microtask later (so a request made from within the job already finds it
   * running) or, if it runs, once more after it. Resolves when the run covering this request ended;
   * rejects with the job's error (no rerun then).
   */
  request(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.again = true;
    this.running ??= Promise.resolve()
      .then(async () => {
        while (this.again && !this.closed) {
          this.again = false;
          await this.job();
        }
      })
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  /** Takes no more requests and waits for the run under way (its error is the requester's). */
  async close(): Promise<void> {
    this.closed = true;
    await this.running?.catch(() => undefined);
  }
}
