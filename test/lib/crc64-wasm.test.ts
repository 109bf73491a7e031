import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Crc64, crc64Backend } from '../../src/lib/crc64.js';
import { crc64UpdateJs } from '../../src/lib/crc64-js.js';
import { WASM_SCRATCH_BYTES, createCrc64WasmKernel, crc64KernelModuleBytes, instantiateSync } from '../../src/lib/crc64-wasm.js';
import type { Crc64Kernel } from '../../src/lib/crc64-wasm.js';
import type * as Crc64Lib from '../../src/lib/crc64.js';

const INIT = [0xffffffff, 0xffffffff];

function kernel(): Crc64Kernel {
  const k = createCrc64WasmKernel();
  if (k === undefined) throw new Error('Node 20 has WebAssembly: the kernel must instantiate');
  return k;
}

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
  const wasm = kernel();
  const viaWasm = (reg: Uint32Array, buf: Uint8Array): void => wasm.update(reg, buf);

  it('is the backend Crc64 uses here', () => {
    expect(crc64Backend()).toBe('wasm');
  });

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
    // Chunk sizes on both sides of the JS/wasm threshold and of the scratch size.
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
    const exports = instantiateSync(crc64KernelModuleBytes());
    const memory = exports?.memory as { grow(pages: number): number; buffer: ArrayBuffer };
    const size = memory.buffer.byteLength;
    expect(size).toBeLessThanOrEqual(2 * 1024 * 1024);
    expect(() => memory.grow(1)).toThrow();
    expect(memory.buffer.byteLength).toBe(size);
  });
});

describe('crc64 without WebAssembly', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.resetModules();
  });

  async function freshCrc64(): Promise<typeof Crc64Lib> {
    vi.resetModules();
    return import('../../src/lib/crc64.js');
  }

  it('falls back to the JS loop when WebAssembly is missing', async () => {
    vi.stubGlobal('WebAssembly', undefined);
    const lib = await freshCrc64();
    expect(lib.crc64Backend()).toBe('js');
    expect(lib.crc64(Buffer.from('123456789'))).toBe('11051210869376104954');
    const data = randomBytes(300_001);
    expect(lib.crc64(data)).toBe(decimal(run(crc64UpdateJs, data)));
  });

  it('falls back to the JS loop when instantiation throws', async () => {
    const refuse = function (): never {
      throw new Error('refused');
    };
    vi.stubGlobal('WebAssembly', { Module: refuse, Instance: refuse });
    const lib = await freshCrc64();
    expect(lib.crc64Backend()).toBe('js');
    expect(lib.crc64(Buffer.from('123456789'))).toBe('11051210869376104954');
  });
});
