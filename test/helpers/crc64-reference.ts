/**
 * CRC-64/XZ in plain JS, built apart from src/lib's wasm kernel (its own tables, as uint32 halves):
 * the reference the kernel is tested against. TABLE_LO[k * 256 + n] / TABLE_HI[...] is table k for
 * byte n, i.e. the register change from byte n followed by k zero bytes.
 */

const POLY_LO = 0xd7870f42;
const POLY_HI = 0xc96c5795;

const TABLE_COUNT = 8;
const TABLE_LO = new Uint32Array(TABLE_COUNT * 256);
const TABLE_HI = new Uint32Array(TABLE_COUNT * 256);

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

/**
 * Runs the CRC-64/XZ register over buf in plain JS: slicing-by-8 over two uint32 halves (BigInt per
 * byte would be far slower). reg holds the pre-inverted register: reg[0] the low half, reg[1] the
 * high half.
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
