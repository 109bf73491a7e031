import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Crc64 } from '../../src/lib/crc64.js';
import { WASM_SCRATCH_BYTES, createCrc64Kernel, instantiateKernel } from '../../src/lib/crc64-wasm.js';
import { crc64UpdateJs } from '../helpers/crc64-reference.js';

const INIT = [0xffffffff, 0xffffffff];

/** The register after running `update` over buf from `start`, as [low, high]. */
function run(update: (reg: Uint32Array, buf: Uint8Array) => void, buf: Uint8Array, start = INIT): number[] {
  const reg = new Uint32Array(start);
  update(reg, buf);
  return [...reg];
}

function decimal(reg: readonly number[]): string {
  return ((BigInt(~reg[1]! >>> 0) << 32n) | BigInt(~reg[0]! >>> 0)).toString();
}

describe('crc64 WebAssembly kernel', () => {
  const viaWasm = createCrc64Kernel();

  it('matches the published check value', () => {
    expect(decimal(run(viaWasm, Buffer.from('123456789')))).toBe('11051210869376104954');
  });

  it('agrees with the JS loop on every short length at every alignment, from any register', () => {
    const pool = randomBytes(100);
    const start = [0x12345678, 0x9abcdef0];
    for (let offset = 0; offset < 8; offset++) {
      for (let len = 0; len <= 72; len++) {
        const buf = pool.subarray(offset, offset + len); // byteOffset not a multiple of 8 for most offsets
        expect(run(viaWasm, buf), `len ${len} at +${offset}`).toEqual(run(crc64UpdateJs, buf));
        expect(run(viaWasm, buf, start)).toEqual(run(crc64UpdateJs, buf, start));
      }
    }
  });

  it('agrees with the JS loop around the scratch slice boundary and on several MiB', () => {
    const pool = randomBytes(5 * 1024 * 1024 + 19);
    const lengths = [WASM_SCRATCH_BYTES * 2 + 1, pool.length - 3, pool.length];
    for (let d = -17; d <= 17; d++) lengths.push(WASM_SCRATCH_BYTES + d);
    for (const len of lengths) {
      const buf = pool.subarray(3, 3 + len);
      expect(run(viaWasm, buf), `len ${len}`).toEqual(run(crc64UpdateJs, buf));
    }
  });

  it('gives Crc64 the same result as the JS loop however the input is chunked', () => {
    const data = randomBytes(3 * WASM_SCRATCH_BYTES + 12_345);
    const expected = decimal(run(crc64UpdateJs, data));
    // Chunk sizes from one byte to both sides of the scratch size.
    for (const sizes of [[1], [7, 31, 32, 33], [1000, 5], [WASM_SCRATCH_BYTES - 1], [WASM_SCRATCH_BYTES + 9, 3]]) {
      const crc = new Crc64();
      for (let i = 0, n = 0; i < data.length; n++) {
        const size = sizes[n % sizes.length]!;
        crc.update(data.subarray(i, i + size));
        i += size;
      }
      expect(crc.digest(), `chunks of ${sizes.join(',')}`).toBe(expected);
    }
  });

  it('is a valid module with a fixed-size memory', () => {
    const memory = instantiateKernel().memory as { grow(pages: number): number; buffer: ArrayBuffer };
    const size = memory.buffer.byteLength;
    expect(size).toBeLessThanOrEqual(2 * 1024 * 1024);
    expect(() => memory.grow(1)).toThrow();
    expect(memory.buffer.byteLength).toBe(size);
  });
});
