import { describe, expect, it } from 'vitest';
import { instantiateSync } from '../../src/lib/wasm-instantiate.js';
import { I32, Op, buildModule, op, sleb, uleb } from '../../src/lib/wasm-module-builder.js';

describe('wasm module builder', () => {
  it('encodes LEB128 as the spec examples do', () => {
    expect(uleb(0)).toEqual([0x00]);
    expect(uleb(127)).toEqual([0x7f]);
    expect(uleb(128)).toEqual([0x80, 0x01]);
    expect(uleb(624485)).toEqual([0xe5, 0x8e, 0x26]);
    expect(uleb(0xffffffff)).toEqual([0xff, 0xff, 0xff, 0xff, 0x0f]);
    expect(sleb(0)).toEqual([0x00]);
    expect(sleb(63)).toEqual([0x3f]);
    expect(sleb(64)).toEqual([0xc0, 0x00]);
    expect(sleb(-64)).toEqual([0x40]);
    expect(sleb(-65)).toEqual([0xbf, 0x7f]);
    expect(sleb(-123456)).toEqual([0xc0, 0xbb, 0x78]);
    expect(sleb(-0x80000000)).toEqual([0x80, 0x80, 0x80, 0x80, 0x78]);
    expect(() => uleb(-1)).toThrow(RangeError);
    expect(() => sleb(2 ** 31)).toThrow(RangeError);
  });

  it('builds a module that runs', () => {
    const bytes = buildModule({
      memoryPages: 1,
      memoryExportName: 'mem',
      exportName: 'addThenSub',
      params: [I32, I32],
      results: [I32],
      locals: [I32],
      body: [op.local_get(0), op.local_get(1), Op.i32_add, op.local_set(2), op.local_get(2), op.i32_const(-300), Op.i32_sub],
    });
    const exports = instantiateSync(bytes);
    expect((exports?.addThenSub as (a: number, b: number) => number)(2, 40)).toBe(342);
    expect((exports?.mem as { buffer: ArrayBuffer }).buffer.byteLength).toBe(65536);
  });
});
