import { TABLE_COUNT } from './crc64-tables.js';
import { I32, I64, Op, buildModule, op, uleb } from './wasm-module-builder.js';
import type { Code, ValType } from './wasm-module-builder.js';

/**
 * MD5 of four messages at once: a WebAssembly SIMD kernel keeps the four MD5 states in the four i32
 * lanes of v128 registers and runs the 64 steps of a block once for all of them. MD5 is one long
 * dependency chain per message, which a single stream cannot speed up; four chains in lockstep, one
 * instruction for all four, gave ~1.65x OpenSSL's single-stream throughput in total (x64, Node 20:
 * ~1400 MiB/s against ~850 for 4 lanes of 8 MiB).
 *
 * A second kernel, md5crc4, also runs CRC-64/XZ (crc64.ts) over the same blocks, in the gaps of that
 * chain: MD5 and CRC of four lanes for the price of the MD5 alone (see md5crc4 below).
 *
 * Memory layout (one fixed-size memory, never grown, so Buffer views of it never detach):
 *   [STATE, +64)              the four states, one v128 per MD5 word: A at +0, B at +16, C at +32, D at +48;
 *                             lane i's word is the little-endian i32 at +4 * i of each
 *   [CRC_REGS, +4 * 8)        md5crc4's CRC-64 registers, pre-inverted, lane i's the little-endian i64 at +8 * i
 *                             (STATE + 64: the kernel finds them through its $state param)
 *   [ANCHOR, +16)             md5crc4's scratch slot (STATE + 96), written and never read: see md5crc4
 *   [TAILS, +4 * 128)         lane i's tail at TAILS + 128 * i: its message's last partial block and the
 *                             MD5 padding, 1 or 2 blocks (the padding is never written into a lane buffer)
 *   [CRC_TABLES, +16 * 2048)  the CRC slicing tables as crc64-wasm.ts lays them out: table k's entry for
 *                             byte n, an i64, at CRC_TABLES + 2048 * k + 8 * n (filled once, by the constructor)
 *   [LANES, +4 * laneStride)  lane i's message buffer at LANES + laneStride * i, laneStride = laneBytes
 *                             rounded up to 16
 *
 * The kernel, in WAT (all params i32; locals $a $b $c $d, $a0 $b0 $c0 $d0, $m0..$m15, $t: v128;
 * a bare $v means (local.get $v)):
 *
 *   (func (export "md5x4") (param $state $p0 $p1 $p2 $p3 $n)
 *     (local.set $a (v128.load offset=0 $state))   ;; $b +16, $c +32, $d +48 alike
 *     (block (br_if 0 (i32.eqz $n))
 *       (loop
 *         ;; word j of each of the four blocks into lane 0..3 of $mj, for j = 0..15
 *         (local.set $mj (v128.load32_lane offset=4j 3 $p3
 *           (v128.load32_lane offset=4j 2 $p2 (v128.load32_lane offset=4j 1 $p1 (v128.load32_splat offset=4j $p0)))))
 *         (local.set $a0 $a) (local.set $b0 $b) (local.set $c0 $c) (local.set $d0 $d)
 *         ;; 64 steps; step i, with (a, b, c, d) the locals rotated right by i:
 *         ;;   a = b + rotl(a + (m[g(i)] + K[i]) + f(b, c, d), S[i])
 *         ;; in i32x4 arithmetic, where rotl(x, s) = (x << s) | (x >>> 32 - s) (via local.tee $t) and f is
 *         ;;   steps  0-15  F = d ^ (b & (c ^ d))
 *         ;;   steps 16-31  G = (c & ~d) + (b & d): two adds, the first (v128.andnot c d) not waiting for b
 *         ;;   steps 32-47  H = (c ^ d) ^ b
 *         ;;   steps 48-63  I = c ^ (b | ~d)
 *         (local.set $a (i32x4.add $a $a0))   ;; $b, $c, $d alike
 *         (local.set $p0 (i32.add $p0 (i32.const 64)))   ;; $p1, $p2, $p3 alike
 *         (br_if 0 (local.tee $n (i32.sub $n (i32.const 1))))))
 *     (v128.store offset=0 $state $a))   ;; $b +16, $c +32, $d +48 alike
 *
 * Each step adds the message word and the constant first and f(b, c, d) last, so only f, the add and
 * the rotation wait for b, the previous step's result: that chain is the kernel's speed limit.
 *
 * md5crc4 (same params; further locals $crc0..$crc3, $x: i64, $lo $hi: i32) is md5x4 with the CRC registers
 * loaded from and stored to $state + 64 + 8 * l around the loop, and after every 4th MD5 step (i = 4k + 3) one
 * slicing-by-16 step of one lane's CRC over 16 bytes of its block, lanes in turn (lane l = k % 4, its bytes
 * [16 * (k >> 2), +16)), so 16 CRC steps cover the four blocks:
 *
 *         (v128.store offset=96 $state $a)   ;; the anchor, $a being the MD5 register step i just wrote
 *         (local.set $crcl (T15[byte 0 of ($crcl ^ (i64.load offset=16c $pl))] ^ ... ^ T8[byte 7]
 *                         ^ T7[byte 0 of (i64.load offset=16c+8 $pl)] ^ ... ^ T0[byte 7]))
 *
 * (the step of crc64-wasm.ts's kernel). The CRC's table lookups are scalar loads and integer ops, independent of
 * MD5, so an out-of-order core runs them in the slots MD5's vector chain leaves idle: measured (x64, Node 20),
 * md5crc4 is as fast as md5x4 to within the noise (~0.70 s/GiB) where the CRC alone costs ~0.28 s/GiB more.
 * The anchor store is what makes that work: Node 20's optimizing compiler (TurboFan) reorders the pure
 * operations of the loop body freely, and without it put all 64 MD5 steps first and then all 16 CRC steps,
 * with their lookups spilled to the stack, too far apart for the core to overlap: exactly as slow as MD5 then
 * CRC (~0.98 s/GiB), wherever the CRC steps were placed in the wasm. The store hands each 4th MD5 result to
 * memory between the CRC steps, in program order, which ties the MD5 steps to their place among the CRC's
 * loads. Measured alternatives: half a CRC step (one 8-byte word) after every 2nd MD5 step, 0.70 s/GiB as
 * this; two steps after every 8th, 0.77; four after every 16th, 0.80; storing each CRC register after its step
 * as well, ~0.97 again (TurboFan then hoisted the MD5 steps back ahead of the CRC). This depends on the
 * compiler's scheduling, not on correctness: the results are the same either way.
 */

// SIMD opcodes: the 0xfd prefix, then the opcode as a LEB128. Loads and stores take a memarg: log2 of
// the alignment (natural here), then the static offset. Binary format reference:
// https://webassembly.github.io/spec/core/binary/instructions.html#vector-instructions
const simd = (opcode: number, ...immediates: number[]): Code => [0xfd, ...uleb(opcode), ...immediates];
const v128 = {
  load: (offset: number): Code => simd(0x00, 4, ...uleb(offset)),
  load32_splat: (offset: number): Code => simd(0x09, 2, ...uleb(offset)),
  store: (offset: number): Code => simd(0x0b, 4, ...uleb(offset)),
  /** Replaces lane `lane` of the v128 on the stack with the i32 at the address below it. */
  load32_lane: (offset: number, lane: number): Code => simd(0x56, 2, ...uleb(offset), lane),
  not: simd(0x4d),
  and: simd(0x4e),
  /** a & ~b */
  andnot: simd(0x4f),
  or: simd(0x50),
  xor: simd(0x51),
};
const i32x4 = {
  /** All four lanes set to value (the 16 bytes of a v128.const, little-endian). */
  const: (value: number): Code => {
    const bytes: number[] = [];
    for (let lane = 0; lane < 4; lane++) for (let k = 0; k < 4; k++) bytes.push((value >>> (8 * k)) & 0xff);
    return simd(0x0c, ...bytes);
  },
  /** Shift each lane by the i32 on top of the stack. */
  shl: simd(0xab),
  shr_u: simd(0xad),
  add: simd(0xae),
};

// Core opcodes the shared builder does not define yet.
const i32_eqz = 0x45;
const local_tee = (index: number): Code => [0x22, ...uleb(index)];
/** The v128 value type. The builder writes local types through as bytes; its ValType only names the ones it needed so far. */
const V128 = 0x7b as number as ValType;

/** MD5's additive constants, floor(abs(sin(i + 1)) * 2^32) (RFC 1321). */
const K = [
  0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501, 0x698098d8, 0x8b44f7af, 0xffff5bb1,
  0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821, 0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453,
  0xd8a1e681, 0xe7d3fbc8, 0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a, 0xfffa3942,
  0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70, 0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05,
  0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665, 0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d,
  0x85845dd1, 0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
];

/** Rotation amounts: SHIFTS[round][step % 4]. */
const SHIFTS = [
  [7, 12, 17, 22],
  [5, 9, 14, 20],
  [4, 11, 16, 23],
  [6, 10, 15, 21],
];

/** The initial state A, B, C, D. */
export const INIT = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476];

export const LANE_COUNT = 4;
export const BLOCK = 64;
const PAGE = 64 * 1024;
export const STATE = 0;
/** The CRC registers' offset from the state (the kernel finds them through its $state param). */
const CRC_REGS_AT = 4 * 16;
export const CRC_REGS = STATE + CRC_REGS_AT;
/** md5crc4's anchor slot's offset from the state. */
const ANCHOR_AT = CRC_REGS_AT + LANE_COUNT * 8;
export const TAILS = STATE + ANCHOR_AT + 16; // 112
export const TAIL_BYTES = 2 * BLOCK;
const CRC_TABLE_BYTES = 256 * 8;
export const CRC_TABLES = Math.ceil((TAILS + LANE_COUNT * TAIL_BYTES) / 64) * 64; // 640: after the tails, on a cache line
export const LANES = CRC_TABLES + TABLE_COUNT * CRC_TABLE_BYTES; // 33408: 64-byte aligned
/** wasm32's 65536 pages. */
const MAX_MEMORY_BYTES = 65536 * PAGE;
export const MAX_LANE_BYTES = Math.floor((MAX_MEMORY_BYTES - LANES) / LANE_COUNT / 16) * 16;

export function laneStride(laneBytes: number): number {
  return Math.ceil(laneBytes / 16) * 16;
}

// Local indices: the params first, then the declared locals.
const STATE_PTR = 0;
const PTRS = [1, 2, 3, 4];
const N = 5;
const [A, B, C, D] = [6, 7, 8, 9];
const SAVED = [10, 11, 12, 13];
const MSG = Array.from({ length: 16 }, (_, j) => 14 + j);
const T = 30;
const LOCALS: ValType[] = Array.from({ length: T + 1 - 6 }, () => V128);
// md5crc4's further locals: the four CRC registers, and the word being folded split into halves.
const CRC = [31, 32, 33, 34];
const X = 35;
const LO = 36;
const HI = 37;
const CRC_LOCALS: ValType[] = [...LOCALS, I64, I64, I64, I64, I64, I32, I32];

const get = op.local_get;
const set = op.local_set;

/**
 * $mj = word j of the current block at each pointer, lane l from $p(l). A lane load pops the vector and,
 * below it, the address; so the addresses of lanes 3, 2, 1 go on the stack first, then the splat of
 * lane 0's word, and each lane load leaves the vector on top of the next address.
 */
function gatherWord(j: number): Code {
  return [
    get(PTRS[3]!),
    get(PTRS[2]!),
    get(PTRS[1]!),
    get(PTRS[0]!),
    v128.load32_splat(4 * j),
    v128.load32_lane(4 * j, 1),
    v128.load32_lane(4 * j, 2),
    v128.load32_lane(4 * j, 3),
    set(MSG[j]!),
  ];
}

/** f(b, c, d) of the given round, added to the value on the stack. */
function addRoundFunction(round: number, b: number, c: number, d: number): Code {
  switch (round) {
    case 0: // F = d ^ (b & (c ^ d))
      return [get(c), get(d), v128.xor, get(b), v128.and, get(d), v128.xor, i32x4.add];
    case 1: // G = (c & ~d) + (b & d)
      return [get(c), get(d), v128.andnot, i32x4.add, get(b), get(d), v128.and, i32x4.add];
    case 2: // H = (c ^ d) ^ b
      return [get(c), get(d), v128.xor, get(b), v128.xor, i32x4.add];
    default: // I = c ^ (b | ~d)
      return [get(d), v128.not, get(b), v128.or, get(c), v128.xor, i32x4.add];
  }
}

/** The message word step i reads. */
function messageIndex(i: number): number {
  const round = i >> 4;
  if (round === 0) return i;
  if (round === 1) return (5 * i + 1) % 16;
  if (round === 2) return (3 * i + 5) % 16;
  return (7 * i) % 16;
}

/** Step i: a = b + rotl(a + (m + K[i]) + f(b, c, d), s). */
function step(i: number, a: number, b: number, c: number, d: number): Code {
  const s = SHIFTS[i >> 4]![i % 4]!;
  return [
    get(a),
    get(MSG[messageIndex(i)]!),
    i32x4.const(K[i]!),
    i32x4.add,
    i32x4.add,
    addRoundFunction(i >> 4, b, c, d),
    local_tee(T),
    op.i32_const(s),
    i32x4.shl,
    get(T),
    op.i32_const(32 - s),
    i32x4.shr_u,
    v128.or,
    get(b),
    i32x4.add,
    set(a),
  ];
}

/** CRC table k's entry for byte j (0 = least significant) of the i32 local half: one shift, one mask (byte * 8), one load. */
function crcLookup(k: number, half: number, j: number): Code {
  const shifted = j === 0 ? [get(half), op.i32_const(3), Op.i32_shl] : [get(half), op.i32_const(8 * j - 3), Op.i32_shr_u];
  return [shifted, op.i32_const(0xff << 3), Op.i32_and, op.i64_load(CRC_TABLES + k * CRC_TABLE_BYTES)];
}

/** Pushes the XOR of tables firstTable, firstTable - 1, ... for the 8 bytes of the i64 on the stack. */
function crcFoldWord(firstTable: number): Code {
  const terms: Code[] = [];
  for (let j = 0; j < 8; j++) {
    terms.push(crcLookup(firstTable - j, j < 4 ? LO : HI, j % 4));
    if (j > 0) terms.push(Op.i64_xor);
  }
  return [set(X), get(X), Op.i32_wrap_i64, set(LO), get(X), op.i64_const(32), Op.i64_shr_u, Op.i32_wrap_i64, set(HI), terms];
}

/** One slicing-by-16 CRC step of lane l over the 16 bytes at offset 16 * chunk of its current block. */
function crcStep(l: number, chunk: number): Code {
  return [
    get(CRC[l]!),
    get(PTRS[l]!),
    op.i64_load(16 * chunk),
    Op.i64_xor,
    crcFoldWord(15),
    get(PTRS[l]!),
    op.i64_load(16 * chunk + 8),
    crcFoldWord(7),
    Op.i64_xor,
    set(CRC[l]!),
  ];
}

/** One block of all four lanes: the 64 MD5 steps, and with withCrc the 16 CRC steps between them. */
function blockBody(withCrc: boolean): Code {
  const code: Code[] = [];
  for (let j = 0; j < 16; j++) code.push(gatherWord(j));
  const regs = [A, B, C, D];
  regs.forEach((r, k) => code.push(get(r), set(SAVED[k]!)));
  let [a, b, c, d] = regs as [number, number, number, number];
  for (let i = 0; i < 64; i++) {
    code.push(step(i, a, b, c, d));
    if (withCrc && i % 4 === 3) {
      const k = i >> 2;
      code.push(get(STATE_PTR), get(a), v128.store(ANCHOR_AT), crcStep(k % 4, k >> 2));
    }
    [a, b, c, d] = [d, a, b, c];
  }
  regs.forEach((r, k) => code.push(get(r), get(SAVED[k]!), i32x4.add, set(r)));
  for (const p of PTRS) code.push(get(p), op.i32_const(BLOCK), Op.i32_add, set(p));
  return code;
}

/** The kernel module for lanes of laneBytes bytes: its memory holds the layout above, at a fixed size. */
export function md5x4ModuleBytes(laneBytes: number): Uint8Array {
  const loadState = [A, B, C, D].map((r, k) => [get(STATE_PTR), v128.load(16 * k), set(r)]);
  const storeState = [A, B, C, D].map((r, k) => [get(STATE_PTR), get(r), v128.store(16 * k)]);
  const loadCrcs = CRC.map((r, l) => [get(STATE_PTR), op.i64_load(CRC_REGS_AT + 8 * l), set(r)]);
  const storeCrcs = CRC.map((r, l) => [get(STATE_PTR), get(r), op.i64_store(CRC_REGS_AT + 8 * l)]);
  const nextBlock = [get(N), op.i32_const(1), Op.i32_sub, local_tee(N), op.br_if(0)];
  const kernel = (withCrc: boolean): Code => [
    loadState,
    withCrc ? loadCrcs : [],
    op.block(),
    get(N),
    i32_eqz,
    op.br_if(0),
    op.loop(),
    blockBody(withCrc),
    nextBlock,
    Op.end,
    Op.end,
    storeState,
    withCrc ? storeCrcs : [],
  ];
  const params: ValType[] = [I32, I32, I32, I32, I32, I32];
  return buildModule({
    memoryPages: Math.ceil((LANES + LANE_COUNT * laneStride(laneBytes)) / PAGE),
    memoryExportName: 'memory',
    functions: [
      { exportName: 'md5x4', params, results: [], locals: LOCALS, body: kernel(false) },
      { exportName: 'md5crc4', params, results: [], locals: CRC_LOCALS, body: kernel(true) },
    ],
  });
}
