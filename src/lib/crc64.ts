/**
 * CRC-64/XZ (ECMA-182 polynomial, reflected, init and xorout all ones): the checksum OSS returns in
 * `x-oss-hash-crc64ecma` as a decimal string. check("123456789") = 11051210869376104954.
 *
 * The hot loop is slicing-by-8 over two uint32 halves: BigInt per byte would be ~50x slower.
 * Combining (crc of A||B from crc(A), crc(B), len(B)) is rare, so it uses BigInt for clarity.
 */

const POLY_LO = 0xd7870f42;
const POLY_HI = 0xc96c5795;
const POLY = (BigInt(POLY_HI) << 32n) | BigInt(POLY_LO);
const MASK64 = (1n << 64n) - 1n;

// TABLE_LO[k * 256 + n] / TABLE_HI[...]: slicing table k for byte n.
const TABLE_LO = new Uint32Array(8 * 256);
const TABLE_HI = new Uint32Array(8 * 256);

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
  for (let k = 1; k < 8; k++) {
    for (let n = 0; n < 256; n++) {
      const prevLo = TABLE_LO[(k - 1) * 256 + n]!;
      const prevHi = TABLE_HI[(k - 1) * 256 + n]!;
      const idx = prevLo & 0xff;
      TABLE_LO[k * 256 + n] = (((prevLo >>> 8) | (prevHi << 24)) ^ TABLE_LO[idx]!) >>> 0;
      TABLE_HI[k * 256 + n] = ((prevHi >>> 8) ^ TABLE_HI[idx]!) >>> 0;
    }
  }
})();

/** Incremental CRC-64/XZ. Feed chunks with update(); digest() may be called at any time. */
export class Crc64 {
  // The register, kept pre-inverted as the algorithm wants (init = all ones).
  private lo = 0xffffffff;
  private hi = 0xffffffff;

  update(buf: Uint8Array): this {
    let lo = this.lo;
    let hi = this.hi;
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
    this.lo = lo >>> 0;
    this.hi = hi >>> 0;
    return this;
  }

  /** The CRC as an unsigned 64-bit integer. */
  value(): bigint {
    return ((BigInt((~this.hi) >>> 0) << 32n) | BigInt((~this.lo) >>> 0)) & MASK64;
  }

  /** The CRC as OSS prints it: an unsigned decimal string. */
  digest(): string {
    return this.value().toString();
  }
}

/** CRC-64/XZ of one buffer, as a decimal string. */
export function crc64(buf: Uint8Array): string {
  return new Crc64().update(buf).digest();
}

function gf2MatrixTimes(mat: bigint[], vec: bigint): bigint {
  let sum = 0n;
  for (let i = 0; vec !== 0n; i++, vec >>= 1n) {
    if (vec & 1n) sum ^= mat[i]!;
  }
  return sum;
}

function gf2MatrixSquare(mat: bigint[]): bigint[] {
  return mat.map((row) => gf2MatrixTimes(mat, row));
}

/**
 * ZEROS[k]: the operator that appends 2^k zero bytes to a CRC register. Built once, on demand
 * (one matrix squaring per power), so a combine costs one cheap matrix-vector product per set
 * bit of the length instead of ~2·log2(length) squarings: a 10,000-part Complete stays fast.
 */
const ZEROS: bigint[][] = [];

function zerosOperator(k: number): bigint[] {
  if (ZEROS.length === 0) {
    let op: bigint[] = [POLY]; // one zero bit
    for (let n = 1, row = 1n; n < 64; n++, row <<= 1n) op.push(row);
    for (let i = 0; i < 3; i++) op = gf2MatrixSquare(op); // 2, 4, 8 bits: one zero byte
    ZEROS.push(op);
  }
  while (ZEROS.length <= k) ZEROS.push(gf2MatrixSquare(ZEROS[ZEROS.length - 1]!));
  return ZEROS[k]!;
}

/**
 * CRC of A||B given crc(A), crc(B) and len(B) (zlib's crc32_combine, widened to 64 bits).
 * Accepts and returns decimal strings or bigints; lets the uploader check a multipart object's CRC
 * from its parts' CRCs without reading the file again.
 */
export function crc64Combine(crcA: string | bigint, crcB: string | bigint, lengthB: number | bigint): string {
  let crc1 = BigInt(crcA);
  const crc2 = BigInt(crcB);
  let len = BigInt(lengthB);
  for (let k = 0; len !== 0n; k++, len >>= 1n) {
    if (len & 1n) crc1 = gf2MatrixTimes(zerosOperator(k), crc1);
  }
  return ((crc1 ^ crc2) & MASK64).toString();
}

/** CRC of the concatenation of parts, from each part's CRC and size, in order. */
export function crc64CombineAll(parts: ReadonlyArray<{ crc64: string; size: number }>): string {
  let acc = '0'; // CRC of the empty string is 0
  for (const part of parts) acc = crc64Combine(acc, part.crc64, part.size);
  return acc;
}
