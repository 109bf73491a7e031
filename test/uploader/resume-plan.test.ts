import { describe, expect, it } from 'vitest';
import { planParts } from '../../src/uploader/part-plan.js';
import { planResume } from '../../src/uploader/multipart-upload.js';

const planned = planParts(350, 100); // 100, 100, 100, 50
const rec = (partNumber: number, size: number, etag: string) => ({ partNumber, size, etag, crc64: '1' });

describe('planResume', () => {
  it('keeps parts recorded and present with the same ETag; sends the rest', () => {
    const recorded = [rec(1, 100, '"AA"'), rec(2, 100, '"BB"'), rec(3, 100, '"CC"')];
    const onServer = [
      { partNumber: 1, size: 100, etag: '"aa"' }, // same, other case
      { partNumber: 2, size: 100, etag: '"XX"' }, // overwritten since
      { partNumber: 4, size: 50, etag: '"DD"' }, // acknowledged but never recorded
    ];
    const plan = planResume(planned, recorded, onServer);
    expect(plan.kept.map((p) => p.partNumber)).toEqual([1]);
    expect(plan.toSend.map((p) => p.partNumber)).toEqual([2, 3, 4]);
  });

  it('sends everything when nothing was recorded', () => {
    const plan = planResume(planned, [], [{ partNumber: 1, size: 100, etag: '"AA"' }]);
    expect(plan.kept).toEqual([]);
    expect(plan.toSend).toEqual(planned);
  });
});
