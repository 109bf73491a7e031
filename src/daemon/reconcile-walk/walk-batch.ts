// row-mapping directly, not the store's index: a walker thread must not load SQLite.
import { reconcileKey, relPathOfReconcileKey } from '../../store/row-mapping.js';
import type { WalkEntry } from '../watch/tree-walker.js';

/** Four bigints per file: size, mtime (ns), inode, device. */
const FIELDS = 4;

/** A batch as it crosses from a walker thread: one string and one transferable buffer. */
export interface EncodedWalkBatch {
  /** reconcileKey() of every file, joined by NUL (which no path contains). */
  keys: string;
  stats: BigInt64Array;
}

/**
 * Walked files in the shape a reconcile compares: each file's reconcileKey() (equal to the store's
 * when nothing changed), and the full entry only for the few that did.
 */
export class WalkBatch {
  private constructor(
    readonly keys: readonly string[],
    private readonly stats: BigInt64Array,
  ) {}

  static fromEntries(entries: readonly WalkEntry[]): WalkBatch {
    const stats = new BigInt64Array(entries.length * FIELDS);
    const keys = entries.map((e, i) => {
      stats.set([BigInt(e.size), e.mtimeNs, e.ino, e.dev], i * FIELDS);
      return reconcileKey(e.size, e.mtimeNs, e.ino, e.relPath);
    });
    return new WalkBatch(keys, stats);
  }

  static decode(encoded: EncodedWalkBatch): WalkBatch {
    return new WalkBatch(encoded.keys.split('\0'), encoded.stats);
  }

  encode(): EncodedWalkBatch {
    return { keys: this.keys.join('\0'), stats: this.stats };
  }

  entry(i: number): WalkEntry {
    const at = i * FIELDS;
    return {
      relPath: relPathOfReconcileKey(this.keys[i]!),
      size: Number(this.stats[at]),
      mtimeNs: this.stats[at + 1]!,
      ino: this.stats[at + 2]!,
      dev: this.stats[at + 3]!,
    };
  }
}
