import { Crc64 } from './crc64.js';
import { TABLE_COUNT, TABLE_HI, TABLE_LO } from './crc64-tables.js';
import {
  BLOCK,
  CRC_REGS,
  CRC_TABLES,
  INIT,
  LANES,
  LANE_COUNT,
  MAX_LANE_BYTES,
  STATE,
  TAILS,
  TAIL_BYTES,
  laneStride,
  md5x4ModuleBytes,
} from './md5x4-kernel.js';
import { instantiateSync } from './wasm-instantiate.js';

export { md5x4ModuleBytes } from './md5x4-kernel.js';

/*
 * The kernel itself, its memory layout and how it is generated: md5x4-kernel.ts. This file drives it:
 * lanes, tails with the MD5 padding, and which lanes each kernel call advances.
 */

type Kernel = (state: number, p0: number, p1: number, p2: number, p3: number, blocks: number) => void;

/** Four MD5 digests computed together by a WebAssembly SIMD kernel over messages in its own memory. */
export class Md5x4 {
  /**
   * Undefined when WebAssembly or its SIMD is unavailable (then callers use node:crypto). laneBytes: the longest message a lane holds (> 0).
   * (Also undefined if the engine cannot allocate the memory: node:crypto does the job then too.)
   */
  static create(laneBytes: number): Md5x4 | undefined {
    if (!Number.isInteger(laneBytes) || laneBytes <= 0 || laneBytes > MAX_LANE_BYTES) {
      throw new RangeError(`Md5x4: laneBytes ${laneBytes} is not an integer in [1, ${MAX_LANE_BYTES}]`);
    }
    const exports = instantiateSync(md5x4ModuleBytes(laneBytes));
    if (exports === undefined) return undefined;
    return new Md5x4(laneBytes, exports.memory as { buffer: ArrayBuffer }, exports.md5x4 as Kernel, exports.md5crc4 as Kernel);
  }

  readonly laneBytes: number;
  private readonly kernel: Kernel;
  private readonly crcKernel: Kernel;
  private readonly bytes: Uint8Array;
  /** Little-endian access to the states: wasm memory is little-endian, the host may not be. */
  private readonly view: DataView;
  private readonly lanes: readonly Buffer[];

  private constructor(laneBytes: number, memory: { buffer: ArrayBuffer }, kernel: Kernel, crcKernel: Kernel) {
    this.laneBytes = laneBytes;
    this.kernel = kernel;
    this.crcKernel = crcKernel;
    // The memory is created at its full size and never grows, so these views stay attached.
    this.bytes = new Uint8Array(memory.buffer);
    this.view = new DataView(memory.buffer);
    const stride = laneStride(laneBytes);
    this.lanes = Array.from({ length: LANE_COUNT }, (_, i) => Buffer.from(memory.buffer, LANES + i * stride, laneBytes));
    for (let i = 0; i < TABLE_COUNT * 256; i++) {
      this.view.setUint32(CRC_TABLES + 8 * i, TABLE_LO[i]!, true);
      this.view.setUint32(CRC_TABLES + 8 * i + 4, TABLE_HI[i]!, true);
    }
  }

  /**
   * Lane i's (0..3) message buffer: a Buffer view of exactly laneBytes bytes of the kernel's memory. Callers read
   * file data straight into it (fs.read) and send it on the network from it, so: the memory is created at its full
   * size and never grows (the views never detach), and neither digest() nor digestWithCrc64() ever writes into any
   * lane buffer.
   */
  lane(i: number): Buffer {
    const buf = Number.isInteger(i) ? this.lanes[i] : undefined;
    if (buf === undefined) throw new RangeError(`Md5x4: lane ${i} is not one of 0..${LANE_COUNT - 1}`);
    return buf;
  }

  /**
   * MD5 (16-byte Buffer) of the first lengths[i] bytes of lane i, for every i where lengths[i] is a number
   * (0 <= length <= laneBytes); undefined where lengths[i] is undefined. All given lanes are hashed together,
   * synchronously; lanes of different lengths are fine (a lane that finished early stops counting; its slot
   * in the kernel may keep working on any readable memory, results discarded).
   * The result has one entry per lane (4) whatever the length of lengths (at most 4; missing entries count as undefined).
   */
  digest(lengths: readonly (number | undefined)[]): (Buffer | undefined)[] {
    return this.run(lengths, undefined);
  }

  /**
   * MD5 and CRC-64/XZ of the first lengths[i] bytes of each given lane, in one pass; undefined where lengths[i] is undefined.
   * Lengths as for digest(); md5 as digest() gives it, crc64 as crc64() from crc64.ts prints it (unsigned decimal, as OSS
   * returns x-oss-hash-crc64ecma). The kernel runs the CRC over each lane's full 64-byte blocks along with their MD5; the
   * last length % 64 bytes (never the MD5 padding) go through Crc64 here.
   */
  digestWithCrc64(lengths: readonly (number | undefined)[]): ({ md5: Buffer; crc64: string } | undefined)[] {
    const registers = new Uint32Array(2 * LANE_COUNT).fill(0xffffffff);
    const digests = this.run(lengths, registers);
    return digests.map((md5, i) => {
      if (md5 === undefined) return undefined;
      const length = lengths[i]!;
      const rest = this.lanes[i]!.subarray(length - (length % BLOCK), length);
      const crc64 = Crc64.fromRegister(registers[2 * i]!, registers[2 * i + 1]!)
        .update(rest)
        .digest();
      return { md5, crc64 };
    });
  }

  /**
   * The MD5 digests, as digest() gives them. With crcRegisters (lane i's pre-inverted CRC-64 register as uint32 halves
   * at 2 * i, 2 * i + 1, all ones on entry), also the CRC over each lane's full blocks: every call that includes a full
   * block of some lane goes through md5crc4, and a lane's register is read out of the kernel's memory as its full blocks
   * end. From then on its slot's register only takes garbage (the tail's padding, another lane's blocks), never read.
   */
  private run(lengths: readonly (number | undefined)[], crcRegisters: Uint32Array | undefined): (Buffer | undefined)[] {
    if (lengths.length > LANE_COUNT) {
      throw new RangeError(`Md5x4: ${lengths.length} lengths given for ${LANE_COUNT} lanes`);
    }
    const digests: (Buffer | undefined)[] = [undefined, undefined, undefined, undefined];
    // Per lane: the address of its next block, the blocks left in its current segment (its full blocks in
    // the lane buffer, then its tail), and the tail's blocks while still in the lane buffer (so > 0 exactly
    // while in its full blocks). 0 left: inactive.
    const ptr = [0, 0, 0, 0];
    const left = [0, 0, 0, 0];
    const tailBlocks = [0, 0, 0, 0];
    let active = 0;
    for (let i = 0; i < LANE_COUNT; i++) {
      const length = lengths[i];
      if (length === undefined) continue;
      if (typeof length !== 'number' || !Number.isInteger(length) || length < 0 || length > this.laneBytes) {
        throw new RangeError(`Md5x4: lengths[${i}] = ${length} is not an integer in [0, ${this.laneBytes}]`);
      }
      const fullBlocks = Math.floor(length / BLOCK);
      const tail = this.writeTail(i, length, fullBlocks * BLOCK);
      this.resetState(i);
      if (fullBlocks > 0) {
        ptr[i] = this.lanes[i]!.byteOffset;
        left[i] = fullBlocks;
        tailBlocks[i] = tail;
        if (crcRegisters !== undefined) {
          this.view.setUint32(CRC_REGS + 8 * i, 0xffffffff, true);
          this.view.setUint32(CRC_REGS + 8 * i + 4, 0xffffffff, true);
        }
      } else {
        ptr[i] = TAILS + i * TAIL_BYTES;
        left[i] = tail;
      }
      active++;
    }
    while (active > 0) {
      let n = Infinity;
      let somePtr = 0;
      let someFull = false;
      for (let i = 0; i < LANE_COUNT; i++) {
        if (left[i]! > 0) {
          n = Math.min(n, left[i]!);
          somePtr = ptr[i]!;
          if (tailBlocks[i]! > 0) someFull = true;
        }
      }
      // A slot without a lane reads along with an active one: readable for n blocks, its result ignored.
      const at = (i: number): number => (left[i]! > 0 ? ptr[i]! : somePtr);
      const kernel = crcRegisters !== undefined && someFull ? this.crcKernel : this.kernel;
      kernel(STATE, at(0), at(1), at(2), at(3), n);
      for (let i = 0; i < LANE_COUNT; i++) {
        if (left[i] === 0) continue;
        left[i]! -= n;
        ptr[i]! += n * BLOCK;
        if (left[i]! > 0) continue;
        if (tailBlocks[i]! > 0) {
          if (crcRegisters !== undefined) {
            crcRegisters[2 * i] = this.view.getUint32(CRC_REGS + 8 * i, true);
            crcRegisters[2 * i + 1] = this.view.getUint32(CRC_REGS + 8 * i + 4, true);
          }
          ptr[i] = TAILS + i * TAIL_BYTES;
          left[i] = tailBlocks[i]!;
          tailBlocks[i] = 0;
        } else {
          digests[i] = this.readDigest(i);
          active--;
        }
      }
    }
    return digests;
  }

  /**
   * Copies lane i's bytes [from, length) (its last partial block, maybe empty) to its tail area and pads
   * them: 0x80, zeros, and the message length in bits as a little-endian 64-bit integer ending the block.
   * Returns the tail's blocks: 2 when fewer than 9 bytes are left in the first for 0x80 and the length.
   */
  private writeTail(i: number, length: number, from: number): number {
    const tail = TAILS + i * TAIL_BYTES;
    const partial = length - from;
    const blocks = partial < BLOCK - 8 ? 1 : 2;
    const lane = this.lanes[i]!.byteOffset;
    this.bytes.copyWithin(tail, lane + from, lane + length);
    this.bytes[tail + partial] = 0x80;
    const end = tail + blocks * BLOCK;
    this.bytes.fill(0, tail + partial + 1, end - 8);
    const bits = length * 8; // exact: below 2^53
    this.view.setUint32(end - 8, bits % 2 ** 32, true);
    this.view.setUint32(end - 4, Math.floor(bits / 2 ** 32), true);
    return blocks;
  }

  private resetState(i: number): void {
    for (let w = 0; w < 4; w++) this.view.setUint32(STATE + 16 * w + 4 * i, INIT[w]!, true);
  }

  /** Lane i's digest: its A, B, C, D, each little-endian. */
  private readDigest(i: number): Buffer {
    const out = Buffer.allocUnsafe(16);
    for (let w = 0; w < 4; w++) out.writeUInt32LE(this.view.getUint32(STATE + 16 * w + 4 * i, true), 4 * w);
    return out;
  }
}
