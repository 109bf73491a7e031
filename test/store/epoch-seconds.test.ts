import { describe, expect, it } from 'vitest';
import { epochSeconds, parseReconcileKey } from '../../src/store/reconcile-key.js';

describe('epochSeconds: an mtime as GNU find prints %T@', () => {
  it.each([
    [1_795_612_485_676_948_431n, '1795612485.6769484310'],
    [5_000_000_001n, '5.0000000010'],
    [1_000_000_000n, '1.0000000000'],
    [999_999_999n, '0.9999999990'],
    [0n, '0.0000000000'],
    [-1n, '-1.9999999990'],
    [-1_000_000_000n, '-1.0000000000'],
    [-315_619_199_876_543_211n, '-315619200.1234567890'], // `touch -d '1960-01-01 00:00:00.123456789'`, as find printed it
  ])('%s ns is %s, and back', (ns, text) => {
    expect(epochSeconds(ns)).toBe(text);
    expect(parseReconcileKey(`1:${text}:2/a`)?.mtimeNs).toBe(ns);
  });

  it('refuses text in any other shape', () => {
    for (const text of ['1795612485', '1795612485.676948431', '1795612485.6769484311', 'x.0000000000', ''])
      expect(parseReconcileKey(`1:${text}:2/a`)).toBeUndefined();
  });
});
