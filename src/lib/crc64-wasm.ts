import { TABLE_COUNT, TABLE_HI, TABLE_LO } from './crc64-tables.js';
import { instantiateSync } from './wasm-instantiate.js';
import { I32, I64, Op, buildModule, op } from './wasm-module-builder.js';
import type { Code } from './wasm-module-builder.js';

/**
 * CRC-64/XZ as a WebAssembly kernel working on native i64: slicing-by-16 with 64-bit tables, so
 * half the table lookups of the JS loop (which needs one per uint32 half). Input is copied into a
 * fixed scratch region slice by slice, so memory stays bounded whatever the chunk size.
 *
 * Memory layout (one fixed-size memory, never grown):
 *   [0, 8)                          the register, pre-inverted, little-endian i64
 *   [TABLES, +16 * 2048)            table k for byte n at TABLES + k * 2048 + n * 8
 *   [SCRATCH, +WASM_SCRATCH_BYTES)  the input slice
 *
 * The kernel, in WAT (locals: $len param, $crc i64, $p $end $lo $hi i32, $x i64; a bare $v means
 * (local.get $v)):
 *
 *   (func (export "update") (param $len i32)
 *     (local.set $crc (i64.load (i32.const 0)))
 *     (local.set $p (i32.const SCRATCH))
 *     (local.set $end (i32.add (i32.const SCRATCH) (local.get $len)))
 *     ;; while (end - p >= 16): fold two words at once
 *     (block (br_if 0 (i32.lt_u (i32.sub $end $p) (i32.const 16)))
 *       (loop
 *         (local.set $x (i64.xor $crc (i64.load $p)))        ;; split $x into $lo, $hi
 *         (local.set $crc  T15[byte 0 of $x] ^ T14[byte 1] ^ ... ^ T8[byte 7])
 *         (local.set $x (i64.load offset=8 $p))
 *         (local.set $crc  $crc ^ T7[byte 0 of $x] ^ ... ^ T0[byte 7])
 *         (local.set $p (i32.add $p (i32.const 16)))
 *         (br_if 0 (i32.ge_u (i32.sub $end $p) (i32.const 16)))))
 *     ;; while (end - p >= 8): the same with one word and T7..T0
 *     ;; while (end - p >= 1): crc = T0[(crc ^ byte) & 0xff] ^ (crc >> 8)
 *     (i64.store (i32.const 0) $crc))
 *
 * where Tk[byte j of $x] is (i64.load offset=TABLES+k*2048 (i32.and (shift $lo or $hi) (i32.const 0x7f8))):
 * the byte times 8, the table entry's size, from one shift and one mask.
 */

/** Bytes per kernel call: large enough that the call and copy overhead vanish, small enough to stay in cache. */
export const WASM_SCRATCH_BYTES = 256 * 1024;

const PAGE = 64 * 1024;
const TABLES = 64;
const TABLE_BYTES = 256 * 8;
const SCRATCH = PAGE; // the tables fit in page 0
const MEMORY_PAGES = (SCRATCH + WASM_SCRATCH_BYTES) / PAGE;

// Local indices: the param first, then the declared locals.
const LEN = 0;
const CRC = 1;
const P = 2;
const END = 3;
const LO = 4;
const HI = 5;
const X = 6;

const get = op.local_get;
const set = op.local_set;

/** Table k's entry for byte j (0 = least significant) of the 32-bit local half. */
function lookup(k: number, half: number, j: number): Code {
  const shifted = j === 0 ? [get(half), op.i32_const(3), Op.i32_shl] : [get(half), op.i32_const(8 * j - 3), Op.i32_shr_u];
  return [shifted, op.i32_const(0xff << 3), Op.i32_and, op.i64_load(TABLES + k * TABLE_BYTES)];
}

/** XOR of the tables firstTable, firstTable - 1, ... for the 8 bytes of the word in local $x, pushed as one i64. */
function foldWord(firstTable: number): Code {
  const split = [get(X), Op.i32_wrap_i64, set(LO), get(X), op.i64_const(32), Op.i64_shr_u, Op.i32_wrap_i64, set(HI)];
  const terms: Code[] = [];
  for (let j = 0; j < 8; j++) {
    terms.push(lookup(firstTable - j, j < 4 ? LO : HI, j % 4));
    if (j > 0) terms.push(Op.i64_xor);
  }
  return [split, terms];
}

/** Fold `words` 8-byte words at $p into the register (tables 8 * words - 1 down to 0). */
function wordsStep(words: number): Code {
  const code: Code[] = [];
  for (let w = 0; w < words; w++) {
    const load = op.i64_load(8 * w);
    code.push(w === 0 ? [get(CRC), get(P), load, Op.i64_xor, set(X)] : [get(P), load, set(X)]);
    code.push(foldWord(8 * (words - w) - 1));
    if (w > 0) code.push(Op.i64_xor);
  }
  return [code, set(CRC)];
}

/** crc = T0[(crc ^ byte) & 0xff] ^ (crc >> 8) */
const byteStep: Code = [
  get(CRC),
  Op.i32_wrap_i64,
  get(P),
  op.i32_load8_u(),
  Op.i32_xor,
  op.i32_const(0xff),
  Op.i32_and,
  op.i32_const(3),
  Op.i32_shl,
  op.i64_load(TABLES),
  get(CRC),
  op.i64_const(8),
  Op.i64_shr_u,
  Op.i64_xor,
  set(CRC),
];

/** while (end - p >= size) { body; p += size } */
function whileAtLeast(size: number, body: Code): Code {
  const remainingVsSize = [get(END), get(P), Op.i32_sub, op.i32_const(size)];
  const advance = [get(P), op.i32_const(size), Op.i32_add, set(P)];
  return [
    op.block(),
    remainingVsSize,
    Op.i32_lt_u,
    op.br_if(0),
    op.loop(),
    body,
    advance,
    remainingVsSize,
    Op.i32_ge_u,
    op.br_if(0),
    Op.end,
    Op.end,
  ];
}

export function crc64KernelModuleBytes(): Uint8Array {
  return buildModule({
    memoryPages: MEMORY_PAGES,
    memoryExportName: 'memory',
    exportName: 'update',
    params: [I32],
    results: [],
    locals: [I64, I32, I32, I32, I32, I64],
    body: [
      op.i32_const(0),
      op.i64_load(),
      set(CRC),
      op.i32_const(SCRATCH),
      set(P),
      op.i32_const(SCRATCH),
      get(LEN),
      Op.i32_add,
      set(END),
      whileAtLeast(16, wordsStep(2)),
      whileAtLeast(8, wordsStep(1)),
      whileAtLeast(1, byteStep),
      op.i32_const(0),
      get(CRC),
      op.i64_store(),
    ],
  });
}

export interface Crc64Kernel {
  /** Runs the pre-inverted register (reg[0] low half, reg[1] high half) over buf, in place. */
  update(reg: Uint32Array, buf: Uint8Array): void;
}

/** The wasm kernel, or undefined if WebAssembly is unavailable or refuses the module. */
export function createCrc64WasmKernel(): Crc64Kernel | undefined {
  const exports = instantiateSync(crc64KernelModuleBytes());
  if (exports === undefined) return undefined;
  const memory = exports.memory as { buffer: ArrayBuffer };
  const run = exports.update as (len: number) => void;
  // The memory never grows, so these views stay attached. DataView: wasm is little-endian, the host may not be.
  const bytes = new Uint8Array(memory.buffer);
  const view = new DataView(memory.buffer);
  for (let i = 0; i < TABLE_COUNT * 256; i++) {
    view.setUint32(TABLES + 8 * i, TABLE_LO[i]!, true);
    view.setUint32(TABLES + 8 * i + 4, TABLE_HI[i]!, true);
  }
  return {
    update(reg: Uint32Array, buf: Uint8Array): void {
      view.setUint32(0, reg[0]!, true);
      view.setUint32(4, reg[1]!, true);
      if (buf.length <= WASM_SCRATCH_BYTES) {
        // The common case, without allocating a subarray view.
        bytes.set(buf, SCRATCH);
        run(buf.length);
      } else {
        for (let off = 0; off < buf.length; off += WASM_SCRATCH_BYTES) {
          const slice = buf.subarray(off, off + WASM_SCRATCH_BYTES);
          bytes.set(slice, SCRATCH);
          run(slice.length);
        }
      }
      reg[0] = view.getUint32(0, true);
      reg[1] = view.getUint32(4, true);
    },
  };
}
