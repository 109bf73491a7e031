import type { WatchEvent } from './folder-watcher.js';

/**
 * Coalesces events per path over a short window and hands them on as one batch (one SQLite
 * transaction for the daemon). The latest event per path wins and moves to the end, so a batch
 * applied in order gives the same result as the events one by one. A storm flushes early at
 * `maxBatch` paths, which bounds memory.
 */
export class EventBatcher {
  private pending = new Map<string, WatchEvent['kind']>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly deliver: (events: WatchEvent[]) => void,
    private readonly coalesceMs: number,
    private readonly maxBatch = 10_000,
  ) {}

  push(kind: WatchEvent['kind'], relPath: string): void {
    this.pending.delete(relPath);
    this.pending.set(relPath, kind);
    if (this.pending.size >= this.maxBatch) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.coalesceMs);
  }

  flush(): void {
    const events = Array.from(this.pending, ([relPath, kind]) => ({ kind, relPath }));
    this.discard();
    if (events.length > 0) this.deliver(events);
  }

  /** Forget what is pending (the root went missing: these events may describe an unmount). */
  discard(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = new Map();
  }
}
