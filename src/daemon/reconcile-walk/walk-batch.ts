// row-mapping directly, not the store's index: a walker thread must not load SQLite.
import { reconcileKey, relPathOfReconcileKey } from '../../store/row-mapping.js';
import type { BigIntStats } from 'node:fs';
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
    const keys = new Array<string>(entries.length);
    for (let i = 0, at = 0; i < entries.length; i++, at += FIELDS) {
      const e = entries[i]!;
      stats[at] = BigInt(e.size);
      stats[at + 1] = e.mtimeNs;
      stats[at + 2] = e.ino;
      stats[at + 3] = e.dev;
      keys[i] = reconcileKey(e.size, e.mtimeNs, e.ino, e.relPath);
    }
    return new WalkBatch(keys, stats);
  }

  /** Builds a batch file by file, straight from lstat results (no entry objects in between). */
  static builder(capacity: number): { add(relPath: string, st: BigIntStats): void; finish(): WalkBatch } {
    const stats = new BigInt64Array(capacity * FIELDS);
    const keys: string[] = [];
    return {
      add(relPath, st) {
        const at = keys.length * FIELDS;
        stats[at] = st.size;
        stats[at + 1] = st.mtimeNs;
        stats[at + 2] = st.ino;
        stats[at + 3] = st.dev;
        keys.push(reconcileKey(st.size, st.mtimeNs, st.ino, relPath));
      },
      finish: () => new WalkBatch(keys, stats.subarray(0, keys.length * FIELDS)),
    };
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
