/**
 * Runs the clean-up of recorded multipart uploads nobody will resume (their file was forgotten or
 * is being deleted) while the daemon runs, not only at the next start, so they stop costing
 * storage at once. One sweep at a time; requests made during one run a single sweep after it.
 */
export class OrphanSweeper {
  private running: Promise<void> | undefined;
  private again = false;
  private closed = false;

  constructor(
    private readonly sweep: () => Promise<void>,
    private readonly onError: (err: unknown) => void,
  ) {}

  request(): void {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.sweep()
      .catch(this.onError)
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.request();
        }
      });
  }

  /** Takes no more requests and waits for the sweep under way (before the store closes). */
  async close(): Promise<void> {
    this.closed = true;
    this.again = false;
    await this.running;
  }
}
