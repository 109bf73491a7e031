import type { FolderConfig } from '../config/index.js';
import type { StateStore } from '../store/index.js';
import type { Logger } from '../lib/logger.js';

export interface DeleteGuardOptions {
  store: StateStore;
  logger: Logger;
  settleMs: number;
  /** Remote deletes of the folder were paused by max_deletes (an alert, once per pause). */
  onDeletesHeld?: (folder: string, held: number, limit: number) => void;
}

/**
 * What happens to files judged gone from disk (removal-verdict.ts): they are remembered as the source
 * of a server-side copy should they reappear (a rename), and in a mirror folder their remote deletes
 * are marked, not due before the rename window and delete_delay, held when over max_deletes.
 *
 * Invariant: a remote delete is never marked for a path that is held; only `oss-sync retry
 * --deletes` turns held paths into deletes (HeldDeletes.release).
 */
export class DeleteGuard {
  constructor(private readonly o: DeleteGuardOptions) {}

  /** Applies the folder's delete policy to `gone`; returns whether any row changed. */
  apply(folder: FolderConfig, gone: readonly string[], now = Date.now()): boolean {
    const { store } = this.o;
    store.removed.remember(folder.name, gone, now, now - renameMemoryMs(this.o.settleMs));
    if (folder.deletePolicy !== 'mirror') return store.queue.forget(folder.name, gone) > 0;
    const held = store.heldDeletes.heldOf(folder.name, gone);
    const fresh = gone.filter((relPath) => !held.has(relPath));
    if (fresh.length === 0) return false;
    const limit = this.limitOf(folder);
    const alreadyHeld = store.heldDeletes.count(folder.name);
    if (limit !== undefined && (alreadyHeld > 0 || store.queue.pendingDeletes(folder.name) + fresh.length > limit)) {
      const reason = `more than max_deletes (${limit}) remote deletes in one pass`;
      store.heldDeletes.hold(folder.name, fresh, reason, now);
      this.o.logger.warn('remote deletes paused: too many at once; run `oss-sync retry --deletes` to let them go', {
        folder: folder.name,
        held: alreadyHeld + fresh.length,
        limit,
        first: fresh.slice(0, 5),
      });
      if (alreadyHeld === 0) this.o.onDeletesHeld?.(folder.name, fresh.length, limit);
      return false;
    }
    // Not before a file that reappears elsewhere (a rename: its create settles within one window)
    // had its chance to be copied from this object; nor before the folder's delete_delay.
    const dueAt = now + Math.max(folder.deleteDelayMs ?? 0, 2 * this.o.settleMs);
    return store.queue.markForDeletion(folder.name, fresh, now, dueAt) > 0;
  }

  /** A walk found these held paths on disk again: their deletes are moot. */
  present(folder: string, found: (relPath: string) => boolean): void {
    if (this.o.store.heldDeletes.count(folder) === 0) return;
    const back = this.o.store.heldDeletes
      .list(Number.MAX_SAFE_INTEGER)
      .filter((h) => h.folder === folder && found(h.relPath))
      .map((h) => h.relPath);
    if (back.length > 0) this.o.store.heldDeletes.drop(folder, back);
  }

  private limitOf(folder: FolderConfig): number | undefined {
    const max = folder.maxDeletes;
    if (max === undefined) return undefined;
    if ('count' in max) return max.count;
    return Math.floor(max.share * this.o.store.queue.countFor(folder.name));
  }
}

/** How long a vanished file's object stays the source of a copy (a busy queue may reach a rename's new path late). */
export function renameMemoryMs(settleMs: number): number {
  return Math.max(10 * 60_000, 10 * settleMs);
}
