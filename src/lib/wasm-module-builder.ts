/**
 * A tiny WebAssembly binary encoder: just enough to emit a module with one memory and one
 * exported function, so a hand-written kernel can ship as readable TypeScript instead of a blob.
 * Binary format reference: https://webassembly.github.io/spec/core/binary/
 */

export type ValType = typeof I32 | typeof I64;
export const I32 = 0x7f;
export const I64 = 0x7e;

/** A piece of code: an opcode, or an opcode with its immediates. Nested pieces are flattened. */
export type Code = number | readonly Code[];

/** Opcodes without immediates. */
export const Op = {
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
export const op = {
  block: (): Code => [0x02, BLOCK_TYPE_EMPTY],
  loop: (): Code => [0x03, BLOCK_TYPE_EMPTY],
  /** If the popped i32 is non-zero, branch to the depth-th enclosing block (to its end) or loop (to its start). */
  br_if: (depth: number): Code => [0x0d, ...uleb(depth)],
  local_get: (index: number): Code => [0x20, ...uleb(index)],
  local_set: (index: number): Code => [0x21, ...uleb(index)],
  i32_const: (value: number): Code => [0x41, ...sleb(value)],
  /** Values beyond int32 are not needed yet, so this takes a number too. */
  i64_const: (value: number): Code => [0x42, ...sleb(value)],
  i64_load: (offset = 0): Code => [0x29, 3, ...uleb(offset)],
  i32_load8_u: (offset = 0): Code => [0x2d, 0, ...uleb(offset)],
  i64_store: (offset = 0): Code => [0x37, 3, ...uleb(offset)],
};

/** Unsigned LEB128 of a non-negative 32-bit integer. */
export function uleb(value: number): number[] {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new RangeError(`uleb: ${value}`);
  const out: number[] = [];
  do {
    let byte = value % 128;
    value = Math.floor(value / 128);
    if (value !== 0) byte |= 0x80;
    out.push(byte);
  } while (value !== 0);
  return out;
}

/** Signed LEB128 of a 32-bit integer (also valid as an i64 immediate of the same value). */
export function sleb(value: number): number[] {
  if (!Number.isInteger(value) || value < -0x80000000 || value > 0x7fffffff) throw new RangeError(`sleb: ${value}`);
  const out: number[] = [];
  for (;;) {
    const byte = value & 0x7f;
    value >>= 7; // arithmetic shift keeps the sign
    const done = (value === 0 && (byte & 0x40) === 0) || (value === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

function flatten(code: Code): number[] {
  const out: number[] = [];
  const walk = (c: Code): void => {
    if (typeof c === 'number') out.push(c);
    else for (const part of c) walk(part);
  };
  walk(code);
  return out;
}

function vec(items: readonly (readonly number[])[]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function section(id: number, contents: readonly number[]): number[] {
  return [id, ...uleb(contents.length), ...contents];
}

function name(text: string): number[] {
  const bytes = [...new TextEncoder().encode(text)];
  return [...uleb(bytes.length), ...bytes];
}

/** A module with one fixed-size memory (min = max) and one function, both exported. */
export interface ModuleDef {
  memoryPages: number;
  memoryExportName: string;
  exportName: string;
  params: readonly ValType[];
  results: readonly ValType[];
  /** Declared locals, indexed after the params. */
  locals: readonly ValType[];
  /** The body, without the final `end`. */
  body: Code;
}

const SECTION = { type: 1, function: 3, memory: 5, export: 7, code: 10 } as const;
const EXPORT_KIND = { func: 0x00, memory: 0x02 } as const;
const FUNC_TYPE = 0x60;
const LIMITS_MIN_MAX = 0x01;

export function buildModule(def: ModuleDef): Uint8Array {
  const type = [FUNC_TYPE, ...vec(def.params.map((t) => [t])), ...vec(def.results.map((t) => [t]))];
  const memory = [LIMITS_MIN_MAX, ...uleb(def.memoryPages), ...uleb(def.memoryPages)];
  const exports = [
    [...name(def.memoryExportName), EXPORT_KIND.memory, ...uleb(0)],
    [...name(def.exportName), EXPORT_KIND.func, ...uleb(0)],
  ];
  // Locals are declared as runs of (count, type); one run per local is valid and simplest.
  const body = [...vec(def.locals.map((t) => [...uleb(1), t])), ...flatten(def.body), Op.end];
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d], // magic "\0asm"
    ...[0x01, 0x00, 0x00, 0x00], // version 1
    ...section(SECTION.type, vec([type])),
    ...section(SECTION.function, vec([uleb(0)])),
    ...section(SECTION.memory, vec([memory])),
    ...section(SECTION.export, vec(exports)),
    ...section(SECTION.code, vec([[...uleb(body.length), ...body]])),
  ]);
}
