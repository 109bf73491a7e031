import { describe, expect, it } from 'vitest';
import { compareUtf8 } from '../../src/lib/utf8-order.js';
import { SortedKeyIndex } from '../../src/emulator/sorted-key-index.js';

/** Everything the index answers, read through its public API. */
function listed(index: SortedKeyIndex): string[] {
  return [...index.from('', true)];
}

describe('SortedKeyIndex', () => {
  it('lists in OSS (UTF-8 byte) order through any mix of adds, re-adds and removes, read at any time', () => {
    const index = new SortedKeyIndex();
    const reference = new Set<string>();
    const names = ['a', 'b/c', 'b/c/d', 'é', 'z', '~', 'A', 'a/b', '中', '😀', 'b'];
    let seed = 7;
    const random = (n: number): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    for (let step = 0; step < 2000; step++) {
      const key = `${names[random(names.length)]}${random(30)}`;
      const op = random(10);
      if (op < 6) {
        index.add(key);
        reference.add(key);
      } else if (op < 9) {
        index.remove(key);
        reference.delete(key);
      }
      if (random(7) === 0) expect(listed(index)).toEqual([...reference].sort(compareUtf8));
    }
    expect(listed(index)).toEqual([...reference].sort(compareUtf8));
  });

  it('finds where a listing starts, inclusive or after a marker', () => {
    const index = new SortedKeyIndex();
    for (const key of ['b', 'd', 'a', 'c']) index.add(key);
    index.remove('c');
    index.add('e');
    expect([...index.from('b', true)]).toEqual(['b', 'd', 'e']);
    expect([...index.from('b', false)]).toEqual(['d', 'e']);
    expect([...index.from('c', true)]).toEqual(['d', 'e']);
    expect([...index.from('f', true)]).toEqual([]);
  });
});
