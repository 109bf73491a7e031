import { describe, expect, it } from 'vitest';
import { compareUtf8 } from '../../src/lib/utf8-order.js';

const sign = (n: number): number => Math.sign(n);

describe('compareUtf8', () => {
  it('orders as the UTF-8 bytes do, astral characters after U+E000..U+FFFF (where UTF-16 puts them before)', () => {
    const astral = 'k/\u{1F600}'; // a surrogate pair
    const high = 'k/\uFF21'; // fullwidth A
    expect(astral < high).toBe(true); // what JS says
    expect(compareUtf8(astral, high)).toBe(1);
    expect(compareUtf8(high, astral)).toBe(-1);
    expect(compareUtf8('k/\uE000', 'k/\uD7FF')).toBe(1);
    expect(compareUtf8('k', 'k/')).toBe(-1);
    expect(compareUtf8('k/a', 'k/a')).toBe(0);
  });

  it('agrees with Buffer.compare of the UTF-8 bytes on mixed strings', () => {
    const alphabet = ['a', 'z', '/', '\u00e9', '\uD7FF', '\uE000', '\uFFFD', '\uFFFF', '\u{10000}', '\u{1F600}', '\u{10FFFF}'];
    const strings: string[] = [''];
    for (const x of alphabet) for (const y of alphabet) strings.push(x, x + y, `${x}a${y}`);
    const disagreements: string[][] = [];
    for (const a of strings)
      for (const b of strings) if (sign(compareUtf8(a, b)) !== Buffer.compare(Buffer.from(a), Buffer.from(b))) disagreements.push([a, b]);
    expect(disagreements).toEqual([]);
  });
});
