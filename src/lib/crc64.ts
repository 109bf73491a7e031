/**
 * CRC-64/XZ (ECMA-182 polynomial, reflected, init and xorout all ones): the checksum OSS returns in
 * `x-oss-hash-crc64ecma` as a decimal string. check("123456789") = 11051210869376104954.
 *
 * It is the uploader's whole integrity check, so chunks go through a WebAssembly kernel (crc64-wasm.ts).
 * Combining (crc of A||B from crc(A), crc(B), len(B)) is rare, so it uses BigInt for clarity.
 */

import { POLY, createCrc64Kernel } from './crc64-wasm.js';

const MASK64 = (1n << 64n) - 1n;
const kernelUpdate = createCrc64Kernel();

/** Incremental CRC-64/XZ. Feed chunks with update(); digest() may be called at any time. */
export class Crc64 {
  // The register as [low, high] uint32 halves, kept pre-inverted as the algorithm wants (init = all ones).
  private readonly reg = new Uint32Array([0xffffffff, 0xffffffff]);

  update(buf: Uint8Array): this {
    kernelUpdate(this.reg, buf);
    return this;
  }

  /** The CRC as OSS prints it: an unsigned decimal string. */
  digest(): string {
    return ((BigInt(~this.reg[1]! >>> 0) << 32n) | BigInt(~this.reg[0]! >>> 0)).toString();
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
