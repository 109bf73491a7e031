import { compareUtf8 } from './utf8-order.js';

/** Keys kept in OSS listing order, for paginated listing without sorting on every request. */
export class SortedKeyIndex {
  private keys: string[] = [];

  /** Index of the first key >= key (or > key when exclusive). */
  lowerBound(key: string, exclusive = false): number {
    let lo = 0;
    let hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const cmp = compareUtf8(this.keys[mid]!, key);
      if (cmp < 0 || (exclusive && cmp === 0)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  add(key: string): void {
    const at = this.lowerBound(key);
    if (this.keys[at] !== key) this.keys.splice(at, 0, key);
  }

  /** Adds many keys with one sort (start-up loads), instead of one O(n) insert each. */
  addAll(keys: Iterable<string>): void {
    const merged = new Set(this.keys);
    for (const key of keys) merged.add(key);
    this.keys = [...merged].sort(compareUtf8);
  }

  remove(key: string): void {
    const at = this.lowerBound(key);
    if (this.keys[at] === key) this.keys.splice(at, 1);
  }

  at(index: number): string | undefined {
    return this.keys[index];
  }

  get size(): number {
    return this.keys.length;
  }
}
