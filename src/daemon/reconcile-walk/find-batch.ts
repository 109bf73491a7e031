import { nsOfEpochSeconds } from '../../store/row-mapping.js';
import type { WalkEntry } from '../watch/tree-walker.js';
import type { ReconcileBatch } from './reconcile-walk.js';

/**
 * Files as find printed them: their reconcile keys, and their devices, which the keys leave out.
 * The full entry is parsed back from the key only for the few files that changed.
 */
export class FindBatch implements ReconcileBatch {
  constructor(
    readonly keys: readonly string[],
    private readonly devs: readonly string[],
  ) {}

  /** reconcileKey() is `size:seconds:ino/relPath`. */
  entry(i: number): WalkEntry {
    const key = this.keys[i]!;
    const afterSize = key.indexOf(':');
    const afterMtime = key.indexOf(':', afterSize + 1);
    const afterIno = key.indexOf('/', afterMtime + 1);
    const mtimeNs = nsOfEpochSeconds(key.slice(afterSize + 1, afterMtime));
    if (afterSize < 1 || mtimeNs === undefined || afterIno < 0)
      throw new Error(`find printed a record not in the expected shape: ${JSON.stringify(key)}`);
    return {
      relPath: key.slice(afterIno + 1),
      size: Number(key.slice(0, afterSize)),
      mtimeNs,
      ino: BigInt(key.slice(afterMtime + 1, afterIno)),
      dev: BigInt(this.devs[i]!),
    };
  }
}
