import { parseReconcileKey } from '../../store/reconcile-key.js';
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

  entry(i: number): WalkEntry {
    const key = this.keys[i]!;
    const file = parseReconcileKey(key);
    if (file === undefined) throw new Error(`find printed a record not in the expected shape: ${JSON.stringify(key)}`);
    return { ...file, dev: BigInt(this.devs[i]!) };
  }
}
