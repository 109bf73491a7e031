/**
 * Slicing tables for CRC-64/XZ (ECMA-182 polynomial, reflected), as two uint32 halves:
 * TABLE_LO[k * 256 + n] / TABLE_HI[...] is table k for byte n, i.e. the register change from byte n
 * followed by k zero bytes. The JS loop uses tables 0-7, the wasm kernel all 16.
 */

export const POLY_LO = 0xd7870f42;
export const POLY_HI = 0xc96c5795;

export const TABLE_COUNT = 16;
export const TABLE_LO = new Uint32Array(TABLE_COUNT * 256);
export const TABLE_HI = new Uint32Array(TABLE_COUNT * 256);

(function buildTables(): void {
  for (let n = 0; n < 256; n++) {
    let lo = n;
    let hi = 0;
    for (let bit = 0; bit < 8; bit++) {
      const carry = lo & 1;
      lo = ((lo >>> 1) | ((hi & 1) << 31)) >>> 0;
      hi = hi >>> 1;
      if (carry) {
        lo = (lo ^ POLY_LO) >>> 0;
        hi = (hi ^ POLY_HI) >>> 0;
      }
    }
    TABLE_LO[n] = lo;
    TABLE_HI[n] = hi;
  }
  for (let k = 1; k < TABLE_COUNT; k++) {
    for (let n = 0; n < 256; n++) {
      const prevLo = TABLE_LO[(k - 1) * 256 + n]!;
      const prevHi = TABLE_HI[(k - 1) * 256 + n]!;
      const idx = prevLo & 0xff;
      TABLE_LO[k * 256 + n] = (((prevLo >>> 8) | (prevHi << 24)) ^ TABLE_LO[idx]!) >>> 0;
      TABLE_HI[k * 256 + n] = ((prevHi >>> 8) ^ TABLE_HI[idx]!) >>> 0;
    }
  }
})();
