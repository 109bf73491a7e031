import { compareUtf8 } from '../lib/utf8-order.js';

/**
 * Keys kept in OSS listing order, for paginated listing without sorting on every request. Adds and
 * removes are only noted, and merged in when a listing next reads (one O(n + k log k) merge for k
 * changes): a PutObject costs the same however many keys there are, as on OSS.
 */
export class SortedKeyIndex {
  /** Sorted and unique as of the last merge. */
  private keys: string[] = [];
  /** Changes since the last merge; a key is in at most one of the two. */
  private readonly added = new Set<string>();
  private readonly removed = new Set<string>();

  /** The keys from `key` on (inclusive or not), in listing order. */
  *from(key: string, inclusive: boolean): Generator<string> {
    const keys = this.sorted();
    let lo = 0;
    let hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const cmp = compareUtf8(keys[mid]!, key);
      if (cmp < 0 || (!inclusive && cmp === 0)) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < keys.length; i++) yield keys[i]!;
  }

  add(key: string): void {
    this.removed.delete(key);
    this.added.add(key);
  }

  remove(key: string): void {
    this.added.delete(key);
    this.removed.add(key);
  }

  private sorted(): string[] {
    if (this.added.size === 0 && this.removed.size === 0) return this.keys;
    const base = this.removed.size === 0 ? this.keys : this.keys.filter((k) => !this.removed.has(k));
    const fresh = [...this.added].sort(compareUtf8);
    const merged: string[] = [];
    let i = 0;
    let j = 0;
    while (i < base.length && j < fresh.length) {
      const cmp = compareUtf8(base[i]!, fresh[j]!);
      if (cmp < 0) merged.push(base[i++]!);
      else if (cmp > 0) merged.push(fresh[j++]!);
      else {
        merged.push(base[i++]!); // added again: already there
        j++;
      }
    }
    while (i < base.length) merged.push(base[i++]!);
    while (j < fresh.length) merged.push(fresh[j++]!);
    this.keys = merged;
    this.added.clear();
    this.removed.clear();
    return merged;
  }
}
