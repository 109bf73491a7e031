/**
 * How many transfers finished lately: two buckets of `bucketMs` each, so a count costs nothing per
 * finish and covers the last one to two buckets. The scheduler sizes its claim-ahead by it.
 */
export class FinishPace {
  private bucketStart = Number.NEGATIVE_INFINITY;
  private current = 0;
  private previous = 0;

  constructor(
    private readonly bucketMs = 50,
    // Monotonic: a wall clock stepped back would stop the buckets from rolling.
    private readonly now: () => number = () => performance.now(),
  ) {}

  record(): void {
    this.roll();
    this.current++;
  }

  /** Finishes in the last bucketMs to 2 x bucketMs. */
  recent(): number {
    this.roll();
    return this.current + this.previous;
  }

  private roll(): void {
    const t = this.now();
    const age = t - this.bucketStart;
    if (age < this.bucketMs) return;
    this.previous = age < 2 * this.bucketMs ? this.current : 0;
    this.current = 0;
    this.bucketStart = t;
  }
}
