import { createHash, randomBytes, randomFillSync } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { crc64 } from '../../src/lib/crc64.js';
import { Md5x4, md5x4ModuleBytes } from '../../src/lib/md5x4-wasm.js';
import { instantiateSync } from '../../src/lib/wasm-instantiate.js';

/** Lanes of a few MiB, not a multiple of 16 or 64: the last lane ends at the memory's unaligned end of use. */
const BIG = 3 * 1024 * 1024 + 5;
const LENGTHS = [0, 1, 55, 56, 63, 64, 65, 119, 120, 127, 128, 129, 1000, 64 * 1024 + 7, 2 * 1024 * 1024 + 61, BIG];

function create(laneBytes: number): Md5x4 {
  const md5 = Md5x4.create(laneBytes);
  if (md5 === undefined) throw new Error('Node 20 has WebAssembly SIMD: the kernel must instantiate');
  return md5;
}

function md5(data: Uint8Array): Buffer {
  return createHash('md5').update(data).digest();
}

/** What digest(lengths) must return, from node:crypto over the same bytes. */
function expected(md: Md5x4, lengths: readonly (number | undefined)[]): (Buffer | undefined)[] {
  return [0, 1, 2, 3].map((i) => {
    const len = lengths[i];
    return len === undefined ? undefined : md5(md.lane(i).subarray(0, len));
  });
}

function hex(digests: readonly (Buffer | undefined)[]): (string | undefined)[] {
  return digests.map((d) => d?.toString('hex'));
}

function snapshot(md: Md5x4): Buffer[] {
  return [0, 1, 2, 3].map((i) => Buffer.from(md.lane(i)));
}

type Both = { md5: string; crc64: string } | undefined;

/** What digestWithCrc64(lengths) must return (MD5 as hex), from node:crypto and crc64() over the same bytes. */
function expectedBoth(md: Md5x4, lengths: readonly (number | undefined)[]): Both[] {
  return [0, 1, 2, 3].map((i) => {
    const len = lengths[i];
    if (len === undefined) return undefined;
    const data = md.lane(i).subarray(0, len);
    return { md5: md5(data).toString('hex'), crc64: crc64(data) };
  });
}

function both(md: Md5x4, lengths: readonly (number | undefined)[]): Both[] {
  const results = md.digestWithCrc64(lengths);
  expect(results).toHaveLength(4);
  return results.map((r) => {
    if (r === undefined) return undefined;
    expect(r.md5).toHaveLength(16);
    return { md5: r.md5.toString('hex'), crc64: r.crc64 };
  });
}

describe('Md5x4', () => {
  const md = create(BIG);
  for (let i = 0; i < 4; i++) randomFillSync(md.lane(i));

  it('gives the known digests', () => {
    md.lane(0).write('abc');
    md.lane(2).write('The quick brown fox jumps over the lazy dog');
    expect(hex(md.digest([3, undefined, 43, 0]))).toEqual([
      '900150983cd24fb0d6963f7d28e17f72',
      undefined,
      '9e107d9d372bb6826bd81d3542a419d6',
      'd41d8cd98f00b204e9800998ecf8427e',
    ]);
  });

  it('matches node:crypto on every length around the block and padding boundaries, four different lengths per call', () => {
    const n = LENGTHS.length;
    // Rotating the list across lanes (lane i takes the length i * 5 places on) gives every lane every length,
    // always alongside three other lengths, long ones beside short ones.
    for (let r = 0; r < n; r++) {
      const lengths = [0, 1, 2, 3].map((i) => LENGTHS[(r + 5 * i) % n]!);
      expect(new Set(lengths).size).toBe(4);
      lengths.forEach((len, i) => randomFillSync(md.lane(i), 0, len));
      const digests = md.digest(lengths);
      expect(hex(digests), `lengths ${lengths.join(', ')}`).toEqual(hex(expected(md, lengths)));
      for (const d of digests) expect(d?.length).toBe(16);
    }
  });

  it('matches node:crypto when all four lanes have the same length', () => {
    for (const len of [0, 55, 56, 64, 1000, BIG]) {
      const lengths = [len, len, len, len];
      expect(hex(md.digest(lengths)), `length ${len}`).toEqual(hex(expected(md, lengths)));
    }
  });

  it('hashes only the lanes given, and gives undefined for the others', () => {
    const cases: (number | undefined)[][] = [
      [BIG, undefined, undefined, undefined],
      [undefined, undefined, undefined, 129],
      [undefined, 65, undefined, 64 * 1024 + 7],
      [1000, undefined, 0, 56],
      [undefined, BIG, 1, 63],
      [undefined, 120], // shorter arrays: the missing lanes count as undefined
      [],
      [undefined, undefined, undefined, undefined],
    ];
    for (const lengths of cases) {
      const digests = md.digest(lengths);
      expect(digests).toHaveLength(4);
      expect(hex(digests), `lengths ${JSON.stringify(lengths)}`).toEqual(hex(expected(md, lengths)));
    }
    expect(md.digest([])).toEqual([undefined, undefined, undefined, undefined]);
  });

  it.each(['digest', 'digestWithCrc64'] as const)('%s never writes into a lane buffer, not even after the end of a message', (method) => {
    for (const lengths of [
      [63, 65, 1000, 0],
      [BIG, 119, 56, 55],
      [127, undefined, BIG - 3, 1],
      [undefined, undefined, 128, undefined],
    ]) {
      const before = snapshot(md);
      md[method](lengths);
      const after = snapshot(md);
      for (let i = 0; i < 4; i++) expect(after[i]!.equals(before[i]!), `lane ${i}, lengths ${lengths.join(', ')}`).toBe(true);
    }
  });

  it('starts every call from a fresh state', () => {
    const lengths = [1000, 64, 0, 129];
    const first = md.digest(lengths);
    expect(hex(md.digest(lengths))).toEqual(hex(first)); // same bytes, same digests
    lengths.forEach((len, i) => randomFillSync(md.lane(i), 0, len));
    const second = md.digest(lengths);
    expect(hex(second)).toEqual(hex(expected(md, lengths)));
    expect(hex(second.slice(0, 2))).not.toEqual(hex(first.slice(0, 2)));
    // A lane left out of a call, then given again, still starts fresh.
    md.digest([undefined, 64 * 1024 + 7, undefined, undefined]);
    expect(hex(md.digest(lengths))).toEqual(hex(second));
  });

  it('hands out lane views of exactly laneBytes that stay the kernel memory across calls', () => {
    const views = [0, 1, 2, 3].map((i) => md.lane(i));
    const memory = views[0]!.buffer;
    const size = memory.byteLength;
    for (let i = 0; i < 4; i++) {
      expect(views[i]!.length).toBe(BIG);
      expect(views[i]!.buffer).toBe(memory);
      expect(views[i]!.byteOffset % 16).toBe(0);
      if (i > 0) expect(views[i]!.byteOffset).toBeGreaterThanOrEqual(views[i - 1]!.byteOffset + BIG); // disjoint
    }
    md.digest([BIG, BIG, BIG, BIG]);
    for (let round = 0; round < 3; round++) {
      // Written through the views taken before the digests, seen by the next digest.
      const data = [0, 1, 2, 3].map(() => randomBytes(777));
      data.forEach((d, i) => d.copy(views[i]!));
      expect(hex(md.digest([777, 777, 777, 777]))).toEqual(hex(data.map(md5)));
      for (let i = 0; i < 4; i++) expect(md.lane(i).buffer).toBe(memory);
    }
    expect(memory.byteLength).toBe(size); // never grown, never detached
  });

  it('works with the smallest lanes', () => {
    const tiny = create(1);
    expect(tiny.laneBytes).toBe(1);
    tiny.lane(1)[0] = 0x61;
    tiny.lane(3)[0] = 0x62;
    const digests = tiny.digest([0, 1, undefined, 1]);
    expect(hex(digests)).toEqual(hex([Buffer.alloc(0), Buffer.from('a'), undefined, Buffer.from('b')].map((b) => b && md5(b))));
  });

  it('throws a RangeError naming the bad value, and keeps working', () => {
    expect(() => md.lane(4)).toThrow(RangeError);
    expect(() => md.lane(4)).toThrow(/\b4\b/);
    expect(() => md.lane(-1)).toThrow(/-1/);
    expect(() => md.lane(1.5)).toThrow(/1\.5/);
    expect(() => md.digest([0, BIG + 1])).toThrow(RangeError);
    expect(() => md.digest([0, BIG + 1])).toThrow(new RegExp(`${BIG + 1}`));
    expect(() => md.digest([-1])).toThrow(RangeError);
    expect(() => md.digest([-1])).toThrow(/-1/);
    expect(() => md.digest([undefined, 2.5])).toThrow(/2\.5/);
    expect(() => md.digest([Number.NaN])).toThrow(/NaN/);
    expect(() => md.digest([1, 2, 3, 4, 5])).toThrow(RangeError);
    expect(() => Md5x4.create(0)).toThrow(RangeError);
    expect(() => Md5x4.create(-5)).toThrow(/-5/);
    expect(() => Md5x4.create(10.5)).toThrow(/10\.5/);
    expect(() => Md5x4.create(2 ** 40)).toThrow(RangeError);
    expect(hex(md.digest([64]))).toEqual(hex(expected(md, [64])));
  });

  it('is a valid module with a fixed-size memory', () => {
    const exports = instantiateSync(md5x4ModuleBytes(100_000));
    const memory = exports?.memory as { grow(pages: number): number; buffer: ArrayBuffer };
    const size = memory.buffer.byteLength;
    expect(size).toBe(7 * 64 * 1024); // 4 lanes of 100_000 bytes after 33408 bytes of states, tails and CRC tables
    expect(typeof exports?.md5x4).toBe('function');
    expect(typeof exports?.md5crc4).toBe('function');
    expect(() => memory.grow(1)).toThrow();
    expect(memory.buffer.byteLength).toBe(size);
  });
});

describe('Md5x4.digestWithCrc64', () => {
  const md = create(BIG);
  for (let i = 0; i < 4; i++) randomFillSync(md.lane(i));

  it('gives the known values', () => {
    md.lane(1).write('123456789');
    md.lane(2).write('abc');
    expect(both(md, [undefined, 9, 3, 0])).toEqual([
      undefined,
      { md5: '25f9e794323b453885f5181f1b624d0b', crc64: '11051210869376104954' },
      { md5: '900150983cd24fb0d6963f7d28e17f72', crc64: '3231342946509354535' },
      { md5: 'd41d8cd98f00b204e9800998ecf8427e', crc64: '0' },
    ]);
  });

  it('matches node:crypto and crc64() on every length around the block and padding boundaries, four different lengths per call', () => {
    const n = LENGTHS.length;
    // As for digest(): every lane gets every length, beside three others. A lane whose full blocks end before
    // another's keeps its slot in md5crc4 through its tail: its CRC must not take that slot's further work.
    for (let r = 0; r < n; r++) {
      const lengths = [0, 1, 2, 3].map((i) => LENGTHS[(r + 5 * i) % n]!);
      lengths.forEach((len, i) => randomFillSync(md.lane(i), 0, len));
      expect(both(md, lengths), `lengths ${lengths.join(', ')}`).toEqual(expectedBoth(md, lengths));
    }
  });

  it('matches node:crypto and crc64() when all four lanes have the same length', () => {
    for (const len of [0, 63, 64, 129, 64 * 1024 + 7, BIG]) {
      const lengths = [len, len, len, len];
      expect(both(md, lengths), `length ${len}`).toEqual(expectedBoth(md, lengths));
    }
  });

  it('hashes only the lanes given (1 to 3 of them), and gives undefined for the others', () => {
    const cases: (number | undefined)[][] = [
      [BIG, undefined, undefined, undefined],
      [undefined, undefined, undefined, 129],
      [undefined, 65, undefined, 64 * 1024 + 7],
      [1000, undefined, 0, 56],
      [undefined, BIG, 1, 63],
      [127, 128, undefined, 2 * 1024 * 1024 + 61],
      [undefined, 120], // shorter arrays: the missing lanes count as undefined
      [],
      [undefined, undefined, undefined, undefined],
    ];
    for (const lengths of cases) {
      expect(both(md, lengths), `lengths ${JSON.stringify(lengths)}`).toEqual(expectedBoth(md, lengths));
    }
    expect(md.digestWithCrc64([])).toEqual([undefined, undefined, undefined, undefined]);
  });

  it('starts every call from fresh MD5 and CRC states', () => {
    const lengths = [1000, 64, 0, 129];
    const first = both(md, lengths);
    expect(both(md, lengths)).toEqual(first); // same bytes, same results
    lengths.forEach((len, i) => randomFillSync(md.lane(i), 0, len));
    const second = both(md, lengths);
    expect(second).toEqual(expectedBoth(md, lengths));
    expect(second[0]!.crc64).not.toBe(first[0]!.crc64);
    // A lane left out of a call (its slot's CRC register running over another lane's blocks), then given
    // again, still starts fresh; so does one short of a block after a long one in the same slot.
    both(md, [undefined, BIG, undefined, undefined]);
    expect(both(md, lengths)).toEqual(second);
    both(md, [BIG, BIG, BIG, BIG]);
    expect(both(md, [63, 1, 0, 64])).toEqual(expectedBoth(md, [63, 1, 0, 64]));
  });

  it('mixes with digest() on one instance', () => {
    const lengths = [BIG, 65, 64 * 1024 + 7, 0];
    const alone = expected(md, lengths).map((d) => d?.toString('hex'));
    const withCrc = expectedBoth(md, lengths);
    for (let round = 0; round < 3; round++) {
      expect(hex(md.digest(lengths))).toEqual(alone);
      expect(both(md, lengths)).toEqual(withCrc);
      expect(hex(md.digest([129, undefined, BIG, 1000]))).toEqual(hex(expected(md, [129, undefined, BIG, 1000])));
      expect(both(md, [undefined, BIG, 63, 120])).toEqual(expectedBoth(md, [undefined, BIG, 63, 120]));
    }
    // The MD5 of digestWithCrc64 is digest()'s.
    const results = md.digestWithCrc64(lengths);
    expect(hex(results.map((r) => r?.md5))).toEqual(hex(md.digest(lengths)));
  });

  it('works with the smallest lanes', () => {
    const tiny = create(1);
    tiny.lane(0)[0] = 0x61;
    expect(both(tiny, [1, 0, undefined, 1])).toEqual(expectedBoth(tiny, [1, 0, undefined, 1]));
  });

  it('throws the RangeErrors of digest(), and keeps working', () => {
    expect(() => md.digestWithCrc64([0, BIG + 1])).toThrow(new RegExp(`${BIG + 1}`));
    expect(() => md.digestWithCrc64([-1])).toThrow(RangeError);
    expect(() => md.digestWithCrc64([undefined, 2.5])).toThrow(/2\.5/);
    expect(() => md.digestWithCrc64([Number.NaN])).toThrow(/NaN/);
    expect(() => md.digestWithCrc64([1, 2, 3, 4, 5])).toThrow(RangeError);
    expect(both(md, [64, 65])).toEqual(expectedBoth(md, [64, 65]));
  });
});

describe('Md5x4 without WebAssembly SIMD', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('is undefined when WebAssembly is missing', () => {
    vi.stubGlobal('WebAssembly', undefined);
    expect(Md5x4.create(1024)).toBeUndefined();
  });

  it('is undefined when WebAssembly refuses the module, as an engine without SIMD does', () => {
    const refuse = function (): never {
      throw new Error('CompileError: invalid opcode 0xfd');
    };
    vi.stubGlobal('WebAssembly', { Module: refuse, Instance: refuse });
    expect(Md5x4.create(1024)).toBeUndefined();
  });
});
