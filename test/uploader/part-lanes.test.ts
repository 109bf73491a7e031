import { createHash, randomFillSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { crc64 } from '../../src/lib/crc64.js';
import { Md5x4 } from '../../src/lib/md5x4-wasm.js';
import { partLanes } from '../../src/uploader/part-lanes.js';
import type { PartLane } from '../../src/uploader/part-lanes.js';

const KiB = 1024;
const simd = Md5x4.create(64) !== undefined;

const md5Hex = (bytes: Buffer): string => createHash('md5').update(bytes).digest('hex').toUpperCase();

/** Fill the lane's first `size` bytes with random data and make it a part body. */
function readPart(lane: PartLane, size: number) {
  const bytes = randomFillSync(lane.buffer.subarray(0, size));
  return { body: lane.body(size), expected: { md5: md5Hex(bytes), crc64: crc64(bytes) } };
}

describe('partLanes', () => {
  it('gives each lane its own buffer of the part size', () => {
    const lanes = partLanes(6, 100 * KiB);
    expect(lanes).toHaveLength(6);
    for (const lane of lanes) expect(lane.buffer.length).toBe(100 * KiB);
    lanes[0]!.buffer.fill(1);
    for (const lane of lanes.slice(1)) lane.buffer.fill(2);
    expect(lanes[0]!.buffer.every((b) => b === 1)).toBe(true);
  });

  it.runIf(simd)('four lanes send without Content-MD5 and get the right digests, whenever they ask', async () => {
    const lanes = partLanes(4, 300 * KiB);
    const sizes = [300 * KiB, 1, 64 * KiB + 3, 0];
    const parts = lanes.map((lane, i) => readPart(lane, sizes[i]!));
    for (const { body } of parts) expect(body.inMemory).toBeUndefined();
    const snapshot = lanes.map((lane) => Buffer.from(lane.buffer));
    // Asked in reverse order: the first ask hashes all four together, the rest are already done.
    for (const { body, expected } of [...parts].reverse()) expect(await body.digest()).toEqual(expected);
    lanes.forEach((lane, i) => expect(lane.buffer.equals(snapshot[i]!)).toBe(true));
  });

  it.runIf(simd)('answers a digest asked before the other lanes have a part, and every part after it', async () => {
    const lanes = partLanes(4, 64 * KiB);
    const first = readPart(lanes[0]!, 10 * KiB);
    expect(await first.body.digest()).toEqual(first.expected); // alone: not kept waiting for company
    for (let round = 0; round < 3; round++) {
      const parts = lanes.map((lane) => readPart(lane, 1 + Math.floor(Math.random() * 64 * KiB - 1)));
      const digests = await Promise.all(parts.map((p) => p.body.digest()));
      expect(digests).toEqual(parts.map((p) => p.expected));
    }
  });

  it.runIf(simd)('hashes the parts of all live lanes without being asked, so a lane that retires does not hold the others', async () => {
    const lanes = partLanes(4, 32 * KiB);
    readPart(lanes[3]!, 5 * KiB); // its send failed: never asked for
    lanes[3]!.retire();
    lanes[2]!.retire();
    const parts = [readPart(lanes[0]!, 7 * KiB), readPart(lanes[1]!, 9 * KiB)];
    expect(await Promise.all(parts.map((p) => p.body.digest()))).toEqual(parts.map((p) => p.expected));
  });

  it.runIf(simd)("the next upload with the same part size reuses a finished upload's kernel memory, and hashes right", async () => {
    const first = partLanes(4, 48 * KiB);
    for (const lane of first) lane.retire();
    const second = partLanes(4, 48 * KiB);
    expect(second[0]!.buffer.buffer).toBe(first[0]!.buffer.buffer);
    const parts = second.map((lane, i) => readPart(lane, 1000 * (i + 1)));
    expect(await Promise.all(parts.map((p) => p.body.digest()))).toEqual(parts.map((p) => p.expected));
    const other = partLanes(4, 40 * KiB); // another part size: a kernel of its own
    expect(other[0]!.buffer.buffer).not.toBe(second[0]!.buffer.buffer);
  });

  it('lanes without a lockstep group (fewer than three) hash at once and send with Content-MD5', async () => {
    const lanes = partLanes(simd ? 6 : 2, 16 * KiB);
    for (const lane of lanes.slice(simd ? 4 : 0)) {
      const { body, expected } = readPart(lane, 16 * KiB);
      expect(body.inMemory?.md5Base64).toBe(Buffer.from(expected.md5, 'hex').toString('base64'));
      expect(await body.digest()).toEqual(expected);
    }
  });

  it.each([1, 4])('a body of one of %i lanes opens as a stream of exactly its bytes, as often as it is sent', async (count) => {
    const lane = partLanes(count, 8 * KiB)[0]!;
    const bytes = randomFillSync(lane.buffer.subarray(0, 5000));
    const body = lane.body(5000);
    for (let send = 0; send < 2; send++) {
      const chunks: Buffer[] = [];
      for await (const chunk of body.open()) chunks.push(chunk as Buffer);
      expect(Buffer.concat(chunks).equals(bytes)).toBe(true);
    }
  });
});
