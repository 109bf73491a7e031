/**
 * How long a file being written (a live log) waits before its next try: `baseMs` after the first
 * time it was found changing during its upload, doubling with each of `streak` tries in a row (from
 * 1), capped at an hour. So a live file costs bounded bandwidth.
 */
export function liveRetryDelayMs(streak: number, baseMs: number): number {
  const CAP_MS = 60 * 60_000;
  return Math.min(CAP_MS, Math.max(1, baseMs) * 2 ** Math.min(30, Math.max(0, streak - 1)));
}

/**
 * Per file, how many tries in a row found it changing (in memory: a restart starts the back-off
 * over, which costs at most one more try per live file). Forgotten once the file goes up whole,
 * is gone, or fails for another reason.
 */
export class LiveStreaks {
  private readonly streaks = new Map<number, number>();

  constructor(private readonly baseMs: number) {}

  /** One more try found the file changing: when its next try is due. */
  nextTryAt(fileId: number, now = Date.now()): number {
    const streak = (this.streaks.get(fileId) ?? 0) + 1;
    this.streaks.set(fileId, streak);
    return now + liveRetryDelayMs(streak, this.baseMs);
  }

  end(fileId: number): void {
    this.streaks.delete(fileId);
  }
}
