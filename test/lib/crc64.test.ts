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
