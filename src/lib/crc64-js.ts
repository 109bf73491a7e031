import { TABLE_HI, TABLE_LO } from './crc64-tables.js';

/**
 * Runs the CRC-64/XZ register over buf in plain JS: slicing-by-8 over two uint32 halves (BigInt per
 * byte would be far slower). reg holds the pre-inverted register: reg[0] the low half, reg[1] the
 * high half. Fallback when WebAssembly is unavailable, fast path for small chunks, and the reference
 * the wasm kernel is tested against.
 */
export function crc64UpdateJs(reg: Uint32Array, buf: Uint8Array): void {
  let lo = reg[0]!;
  let hi = reg[1]!;
  const T_LO = TABLE_LO;
  const T_HI = TABLE_HI;
  const len = buf.length;
  let i = 0;
  const end8 = len - (len % 8);
  for (; i < end8; i += 8) {
    const xlo = (lo ^ (buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24))) >>> 0;
    const xhi = (hi ^ (buf[i + 4]! | (buf[i + 5]! << 8) | (buf[i + 6]! << 16) | (buf[i + 7]! << 24))) >>> 0;
    const a = 7 * 256 + (xlo & 0xff);
    const b = 6 * 256 + ((xlo >>> 8) & 0xff);
    const c = 5 * 256 + ((xlo >>> 16) & 0xff);
    const d = 4 * 256 + (xlo >>> 24);
    const e = 3 * 256 + (xhi & 0xff);
    const f = 2 * 256 + ((xhi >>> 8) & 0xff);
    const g = 256 + ((xhi >>> 16) & 0xff);
    const h = xhi >>> 24;
    lo = T_LO[a]! ^ T_LO[b]! ^ T_LO[c]! ^ T_LO[d]! ^ T_LO[e]! ^ T_LO[f]! ^ T_LO[g]! ^ T_LO[h]!;
    hi = T_HI[a]! ^ T_HI[b]! ^ T_HI[c]! ^ T_HI[d]! ^ T_HI[e]! ^ T_HI[f]! ^ T_HI[g]! ^ T_HI[h]!;
  }
  for (; i < len; i++) {
    const idx = (lo ^ buf[i]!) & 0xff;
    lo = (((lo >>> 8) | (hi << 24)) ^ T_LO[idx]!) >>> 0;
    hi = ((hi >>> 8) ^ T_HI[idx]!) >>> 0;
  }
  reg[0] = lo;
  reg[1] = hi;
}
