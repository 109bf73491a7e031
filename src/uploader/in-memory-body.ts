import { Readable } from 'node:stream';
import { crc64 } from '../lib/crc64.js';
import type { Body } from './object-storage.js';

/** Small enough that an abort finds most of a body unsent; big enough that a part is a few writes. */
export const SLICE = 1024 * 1024;

/**
 * A request body already in memory (a small file's snapshot). Its CRC-64 is computed when first asked
 * for, after the send: the caller leaves the bytes alone until then.
 */
export class InMemoryBody implements Body {
  private crc64: string | undefined;
  readonly size: number;

  constructor(readonly inMemory: Buffer) {
    this.size = inMemory.length;
  }

  /**
   * Slices of 1 MiB (views, no copies), pulled as the socket drains: a stream handed the whole
   * buffer at once would have nothing left to cut when an abort destroys it.
   */
  open(): Readable {
    const bytes = this.inMemory;
    return Readable.from(
      (function* () {
        for (let at = 0; at < bytes.length; at += SLICE) yield bytes.subarray(at, at + SLICE);
      })(),
      { objectMode: false, highWaterMark: SLICE },
    );
  }

  digest(): string {
    return (this.crc64 ??= crc64(this.inMemory));
  }
}
