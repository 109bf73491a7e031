import { describe, expect, it } from 'vitest';
import { MAX_PARTS, MIN_PART_SIZE, choosePartSize, planParts } from '../../src/uploader/part-plan.js';
import { PermanentError } from '../../src/uploader/errors.js';

const MiB = 1024 * 1024;

describe('choosePartSize', () => {
  it('keeps the requested size when the file fits in 10,000 parts', () => {
    expect(choosePartSize(1024 * MiB, 8 * MiB)).toBe(8 * MiB);
    expect(choosePartSize(MAX_PARTS * 8 * MiB, 8 * MiB)).toBe(8 * MiB);
  });

  it('raises the size to a whole MiB so that no file needs more than 10,000 parts', () => {
    const size = MAX_PARTS * 8 * MiB + 1;
    const partSize = choosePartSize(size, 8 * MiB);
    expect(partSize).toBe(9 * MiB);
    expect(planParts(size, partSize).length).toBeLessThanOrEqual(MAX_PARTS);

    const huge = 200 * 1024 * 1024 * MiB; // 200 TiB would need 5 GiB+ parts
    expect(() => choosePartSize(huge, 8 * MiB)).toThrow(PermanentError);
    const big = 1024 * 1024 * MiB; // 1 TiB
    expect(planParts(big, choosePartSize(big, 8 * MiB)).length).toBeLessThanOrEqual(MAX_PARTS);
  });

  it('never goes below 100 KiB', () => {
    expect(choosePartSize(10 * MiB, 1)).toBe(MIN_PART_SIZE);
  });
});

describe('planParts', () => {
  it('cuts a file on a part boundary into equal parts', () => {
    const parts = planParts(3 * MiB, MiB);
    expect(parts).toEqual([
      { partNumber: 1, start: 0, size: MiB },
      { partNumber: 2, start: MiB, size: MiB },
      { partNumber: 3, start: 2 * MiB, size: MiB },
    ]);
  });

  it('leaves a short last part', () => {
    const parts = planParts(2 * MiB + 5, MiB);
    expect(parts.map((p) => p.size)).toEqual([MiB, MiB, 5]);
    expect(parts.at(-1)?.start).toBe(2 * MiB);
  });

  it('plans nothing for an empty file', () => {
    expect(planParts(0, MiB)).toEqual([]);
  });
});
