/**
 * CRC-64/XZ as a WebAssembly kernel working on native i64: slicing-by-16 with 64-bit tables, so
 * half the table lookups of a JS loop over uint32 halves (test/helpers/crc64-reference.ts). Input is copied into a
 * fixed scratch region slice by slice, so memory stays bounded whatever the chunk size.
 *
 * Memory layout (one fixed-size memory, never grown):
 *   [0, 8)                          the register, pre-inverted, little-endian i64
 *   [TABLES, +16 * 2048)            table k for byte n at TABLES + k * 2048 + n * 8
 *   [SCRATCH, +WASM_SCRATCH_BYTES)  the input slice
 *
 * The kernel's one function, update(len), as crc64KernelModuleBytes() writes it:
 *
 *   crc = register; p = SCRATCH; end = SCRATCH + len
 *   while (end - p >= 16) { crc = fold(crc ^ word at p, T15..T8) ^ fold(word at p + 8, T7..T0); p += 16 }
 *   while (end - p >= 8)  { crc = fold(crc ^ word at p, T7..T0); p += 8 }
 *   while (end - p >= 1)  { crc = T0[(crc ^ byte at p) & 0xff] ^ (crc >> 8); p += 1 }
 *   register = crc
 *
 * where fold(x, Ta..Tb) XORs Ta[byte 0 of x], ..., Tb[byte 7], and each Tk[byte j] is one i64.load at
 * TABLES + k * 2048 + (byte j times 8, the entry's size, from one shift and one mask of x's i32 half).
 */

/** Bytes per kernel call: large enough that the call and copy overhead vanish, small enough to stay in cache. */
export const WASM_SCRATCH_BYTES = 256 * 1024;

const PAGE = 64 * 1024;
const TABLES = 64;
const TABLE_BYTES = 256 * 8;
const SCRATCH = PAGE; // the tables fit in page 0
const MEMORY_PAGES = (SCRATCH + WASM_SCRATCH_BYTES) / PAGE;

// A minimal WebAssembly binary encoder, just enough for this one module (one fixed-size memory and one
// function, both exported), so the kernel ships as readable TypeScript instead of a blob.
// Binary format reference: https://webassembly.github.io/spec/core/binary/

const I32 = 0x7f;
const I64 = 0x7e;

/** A piece of code: an opcode, or an opcode with its immediates. Nested pieces are flattened. */
type Code = number | readonly Code[];

/** Opcodes without immediates. */
const Op = {
  end: 0x0b,
  i32_lt_u: 0x49,
  i32_ge_u: 0x4f,
  i32_add: 0x6a,
  i32_sub: 0x6b,
  i32_and: 0x71,
  i32_xor: 0x73,
  i32_shl: 0x74,
  i32_shr_u: 0x76,
  i64_xor: 0x85,
  i64_shr_u: 0x88,
  i32_wrap_i64: 0xa7,
} as const;

const BLOCK_TYPE_EMPTY = 0x40;

/** Opcodes with immediates. Memory accesses take a static byte offset and declare natural alignment (log2 of the size). */
const op = {
  block: (): Code => [0x02, BLOCK_TYPE_EMPTY],
  loop: (): Code => [0x03, BLOCK_TYPE_EMPTY],
  /** If the popped i32 is non-zero, branch to the depth-th enclosing block (to its end) or loop (to its start). */
  br_if: (depth: number): Code => [0x0d, ...leb(depth)],
  local_get: (index: number): Code => [0x20, ...leb(index)],
  local_set: (index: number): Code => [0x21, ...leb(index)],
  i32_const: (value: number): Code => [0x41, ...leb(value)],
  i64_const: (value: number): Code => [0x42, ...leb(value)],
  i64_load: (offset = 0): Code => [0x29, 3, ...leb(offset)],
  i32_load8_u: (offset = 0): Code => [0x2d, 0, ...leb(offset)],
  i64_store: (offset = 0): Code => [0x37, 3, ...leb(offset)],
};

/**
 * LEB128 of a non-negative integer (every number in this module is one), its last byte's sign bit
 * clear: valid both where the format wants an unsigned number and where it wants a signed one.
 */
function leb(value: number): number[] {
  const out: number[] = [];
  for (; value >= 0x40; value = Math.floor(value / 128)) out.push((value % 128) | 0x80);
  out.push(value);
  return out;
}

const flatten = (code: Code): number[] => (typeof code === 'number' ? [code] : code.flatMap(flatten));
const vec = (items: readonly (readonly number[])[]): number[] => [...leb(items.length), ...items.flat()];
const section = (id: number, contents: readonly number[]): number[] => [id, ...leb(contents.length), ...contents];
const name = (text: string): number[] => [...leb(text.length), ...Buffer.from(text, 'ascii')];

/** The module: memory `memory` (MEMORY_PAGES, never grown) and function `update(len: i32)`, both exported. */
function buildModule(locals: readonly number[], body: Code): Uint8Array {
  // Locals are declared as runs of (count, type); one run per local is valid and simplest.
  const code = [...vec(locals.map((t) => [1, t])), ...flatten(body), Op.end];
  const exports = vec([
    [...name('memory'), 0x02, 0],
    [...name('update'), 0x00, 0],
  ]);
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d], // magic "\0asm"
    ...[0x01, 0x00, 0x00, 0x00], // version 1
    ...section(1, vec([[0x60, ...vec([[I32]]), ...vec([])]])), // type 0: (i32) -> ()
    ...section(3, vec([leb(0)])), // function 0 is of type 0
    ...section(5, vec([[0x01, ...leb(MEMORY_PAGES), ...leb(MEMORY_PAGES)]])), // limits min = max
    ...section(7, exports), // export kinds: memory, func
    ...section(10, vec([[...leb(code.length), ...code]])),
  ]);
}

// Local indices: the param first, then the declared locals.
const [LEN, CRC, P, END, LO, HI, X] = [0, 1, 2, 3, 4, 5, 6];

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
  [get(CRC), Op.i32_wrap_i64, get(P), op.i32_load8_u(), Op.i32_xor], // (crc ^ byte)
  [op.i32_const(0xff), Op.i32_and, op.i32_const(3), Op.i32_shl, op.i64_load(TABLES)], // T0[that & 0xff]
  [get(CRC), op.i64_const(8), Op.i64_shr_u, Op.i64_xor, set(CRC)], // ^ (crc >> 8)
];

/** while (end - p >= size) { body; p += size } */
function whileAtLeast(size: number, body: Code): Code {
  const remainingVsSize = [get(END), get(P), Op.i32_sub, op.i32_const(size)];
  const advance = [get(P), op.i32_const(size), Op.i32_add, set(P)];
  const loop = [op.loop(), body, advance, remainingVsSize, Op.i32_ge_u, op.br_if(0), Op.end];
  return [op.block(), remainingVsSize, Op.i32_lt_u, op.br_if(0), loop, Op.end];
}

function crc64KernelModuleBytes(): Uint8Array {
  return buildModule(
    [I64, I32, I32, I32, I32, I64],
    [
      [op.i32_const(0), op.i64_load(), set(CRC)], // crc = register
      [op.i32_const(SCRATCH), set(P), op.i32_const(SCRATCH), get(LEN), Op.i32_add, set(END)], // p = SCRATCH, end = p + len
      whileAtLeast(16, wordsStep(2)),
      whileAtLeast(8, wordsStep(1)),
      whileAtLeast(1, byteStep),
      [op.i32_const(0), get(CRC), op.i64_store()], // register = crc
    ],
  );
}

/** The slice of the WebAssembly global used here: the project's lib settings (no DOM) do not declare it. */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}

/** Compiles and instantiates the kernel synchronously (allowed for small modules, and it keeps Crc64 synchronous). */
export function instantiateKernel(): Record<string, unknown> {
  const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
  return new wasm.Instance(new wasm.Module(crc64KernelModuleBytes()), {}).exports;
}

/** CRC-64/XZ's polynomial (ECMA-182), reflected. */
export const POLY = 0xc96c5795d7870f42n;

/** Table k for byte n: the register change from byte n followed by k zero bytes (slicing-by-16). */
function writeTables(view: DataView): void {
  const entry = (k: number, n: number): number => TABLES + k * TABLE_BYTES + n * 8;
  for (let n = 0; n < 256; n++) {
    let crc = BigInt(n);
    for (let bit = 0; bit < 8; bit++) crc = crc & 1n ? (crc >> 1n) ^ POLY : crc >> 1n;
    view.setBigUint64(entry(0, n), crc, true);
  }
  for (let k = 1; k < 16; k++) {
    for (let n = 0; n < 256; n++) {
      const prev = view.getBigUint64(entry(k - 1, n), true);
      view.setBigUint64(entry(k, n), (prev >> 8n) ^ view.getBigUint64(entry(0, Number(prev & 0xffn)), true), true);
    }
  }
}

/**
 * The kernel's update: runs the pre-inverted register (reg[0] low half, reg[1] high half) over buf, in
 * place. Node 20 always has WebAssembly, so there is no other implementation.
 */
export function createCrc64Kernel(): (reg: Uint32Array, buf: Uint8Array) => void {
  const exports = instantiateKernel();
  const memory = exports.memory as { buffer: ArrayBuffer };
  const run = exports.update as (len: number) => void;
  // The memory never grows, so these views stay attached. DataView: wasm is little-endian, the host may not be.
  const bytes = new Uint8Array(memory.buffer);
  const view = new DataView(memory.buffer);
  writeTables(view);
  return (reg, buf) => {
    view.setUint32(0, reg[0]!, true);
    view.setUint32(4, reg[1]!, true);
    for (let off = 0; off < buf.length; off += WASM_SCRATCH_BYTES) {
      // The common case, a chunk within one slice, without allocating a subarray view.
      const slice = buf.length <= WASM_SCRATCH_BYTES ? buf : buf.subarray(off, off + WASM_SCRATCH_BYTES);
      bytes.set(slice, SCRATCH);
      run(slice.length);
    }
    reg[0] = view.getUint32(0, true);
    reg[1] = view.getUint32(4, true);
  };
}
