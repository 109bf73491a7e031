import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Crc64, crc64, crc64Combine, crc64CombineAll } from '../../src/lib/crc64.js';

describe('crc64 (CRC-64/XZ, as OSS x-oss-hash-crc64ecma)', () => {
  it('matches the published check value', () => {
    expect(crc64(Buffer.from('123456789'))).toBe('11051210869376104954');
  });

  it('is 0 for the empty input', () => {
    expect(crc64(Buffer.alloc(0))).toBe('0');
  });

  it('gives the same result however the input is chunked', () => {
    const data = randomBytes(100_003);
    const whole = crc64(data);
    const inc = new Crc64();
    for (let i = 0; i < data.length; i += 7_777) inc.update(data.subarray(i, i + 7_777));
    expect(inc.digest()).toBe(whole);
  });

  it('continues from a register with Crc64.fromRegister', () => {
    expect(Crc64.fromRegister(0xffffffff, 0xffffffff).update(Buffer.from('123456789')).digest()).toBe('11051210869376104954');
    const data = randomBytes(10_007);
    for (const cut of [0, 1, 8, 63, 64, 4096, 10_006, 10_007]) {
      const value = new Crc64().update(data.subarray(0, cut)).value();
      // The register is the bitwise NOT of the value at that point, as low and high uint32 halves.
      const lo = ~Number(value & 0xffffffffn) >>> 0;
      const hi = ~Number(value >> 32n) >>> 0;
      expect(Crc64.fromRegister(lo, hi).update(data.subarray(cut)).digest(), `cut ${cut}`).toBe(crc64(data));
    }
    expect(Crc64.fromRegister(0xffffffff, 0xffffffff).digest()).toBe('0');
    expect(Crc64.fromRegister(0, 0).value()).toBe(2n ** 64n - 1n);
    expect(() => Crc64.fromRegister(-1, 0)).toThrow(RangeError);
    expect(() => Crc64.fromRegister(0, 2 ** 32)).toThrow(/4294967296/);
    expect(() => Crc64.fromRegister(0.5, 0)).toThrow(/0\.5/);
  });

  it('combines part CRCs into the CRC of the whole', () => {
    const a = randomBytes(300_001);
    const b = randomBytes(123_457);
    const c = randomBytes(1);
    const whole = crc64(Buffer.concat([a, b, c]));
    expect(crc64Combine(crc64(a), crc64(b), b.length)).toBe(crc64(Buffer.concat([a, b])));
    expect(
      crc64CombineAll([
        { crc64: crc64(a), size: a.length },
        { crc64: crc64(b), size: b.length },
        { crc64: crc64(c), size: c.length },
      ]),
    ).toBe(whole);
  });

  it('combines many parts of assorted lengths (including empty ones) quickly', () => {
    const parts = Array.from({ length: 500 }, (_, i) => randomBytes((i * 7919) % 4099));
    const started = Date.now();
    const combined = crc64CombineAll(parts.map((p) => ({ crc64: crc64(p), size: p.length })));
    expect(combined).toBe(crc64(Buffer.concat(parts)));
    expect(crc64Combine('0', '0', 2n ** 40n)).toBe('0');
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
