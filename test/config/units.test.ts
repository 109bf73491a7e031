import { describe, expect, it } from 'vitest';
import { parseDuration, parseSize } from '../../src/config/index.js';

describe('sizes and durations', () => {
  it('reads sizes in bytes, binary and decimal units', () => {
    expect(parseSize(1024)).toBe(1024);
    expect(parseSize('8MiB')).toBe(8 * 2 ** 20);
    expect(parseSize('100KiB')).toBe(100 * 1024);
    expect(parseSize('1GiB')).toBe(2 ** 30);
    expect(parseSize('5MB')).toBe(5_000_000);
    expect(parseSize('1.5 KiB')).toBe(1536);
    expect(parseSize('64mib')).toBe(64 * 2 ** 20);
  });

  it('rejects unknown units and negative or fractional byte counts', () => {
    expect(() => parseSize('8Mb/s')).toThrow('expected a number of bytes or a size like 100KiB');
    expect(() => parseSize('8MiBs')).toThrow('unknown unit "MiBs" in "8MiBs" (use B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)');
    expect(() => parseSize(-1)).toThrow('got -1');
    expect(() => parseSize(1.5)).toThrow('got 1.5');
  });

  it('reads durations in ms, s, m, h and d', () => {
    expect(parseDuration(250)).toBe(250);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('2s')).toBe(2000);
    expect(parseDuration('1m')).toBe(60_000);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(parseDuration('7d')).toBe(7 * 86_400_000);
    expect(() => parseDuration('2 days')).toThrow('unknown unit "days" in "2 days" (use ms, s, m, h, d)');
  });
});
