import type { FileQueue, VerifiedFile } from '../store/index.js';

/** Longest a finished file waits for its commit. */
const MAX_DELAY_MS = 10;
/** A batch this big is committed at once. */
const MAX_FILES = 256;

/**
 * Group commit of finished uploads: files verified within a few milliseconds of each other are
 * marked done in one SQLite transaction instead of one each.
 *
 * Invariant (the journal's contract): add() resolves only after its file's row is committed, so a
 * worker logs "uploaded" only for a file that is durably done. A crash before the flush leaves the
 * row 'uploading', which the next start queues again (the object is sent again, never lost).
 */
export class VerifiedBatch {
  private waiting: Array<{ file: VerifiedFile; resolve: () => void; reject: (err: unknown) => void }> = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly queue: FileQueue,
    /** A commit failed (each file of it is failed too). */
    private readonly onCommitFailed: (err: unknown) => void,
  ) {}

  /** Marks the file verified with the others of this batch; resolves once committed. */
  add(file: VerifiedFile): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ file, resolve, reject });
      if (this.waiting.length >= MAX_FILES) this.flush();
      // Not unref'd: `once` must not exit with a file verified but not recorded.
      else this.timer ??= setTimeout(() => this.flush(), MAX_DELAY_MS);
    });
  }

  /** Commits what is waiting now (also called before the store closes). A failed commit fails each file of it. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.waiting;
    if (batch.length === 0) return;
    this.waiting = [];
    try {
      this.queue.markVerifiedAll(batch.map((w) => w.file));
    } catch (err) {
      for (const w of batch) w.reject(err);
      // Also told directly: at a stop past its grace nobody may be waiting on these files any more.
      this.onCommitFailed(err);
      return;
    }
    for (const w of batch) w.resolve();
  }
}
