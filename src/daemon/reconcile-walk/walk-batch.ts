// reconcile-key directly, not the store's index: a walker thread must not load SQLite.
import { reconcileKey, relPathOfReconcileKey } from '../../store/reconcile-key.js';
import type { WalkEntry } from '../watch/tree-walker.js';

/** What a batch keeps of a file: a BigIntStats or a WalkEntry. */
type FileIdentity = Pick<WalkEntry, 'mtimeNs' | 'ino' | 'dev'> & { size: number | bigint };

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
    const batch = WalkBatch.builder(entries.length);
    for (const e of entries) batch.add(e.relPath, e);
    return batch.finish();
  }

  /** Builds a batch file by file, straight from lstat results or walk entries (no copies in between). */
  static builder(capacity: number): { add(relPath: string, file: FileIdentity): void; finish(): WalkBatch } {
    const stats = new BigInt64Array(capacity * FIELDS);
    const keys: string[] = [];
    return {
      add(relPath, file) {
        const at = keys.length * FIELDS;
        stats[at] = BigInt(file.size);
        stats[at + 1] = file.mtimeNs;
        stats[at + 2] = file.ino;
        stats[at + 3] = file.dev;
        keys.push(reconcileKey(file.size, file.mtimeNs, file.ino, relPath));
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
