import { PassThrough, type Readable } from 'node:stream';
import { crc64 } from '../lib/crc64.js';
import type { RangeDigest } from './hashed-file-range.js';
import type { Body } from './object-storage.js';

/**
 * A request body already in memory (a small file's snapshot, a buffered part). Its CRC-64 is computed
 * when first asked for, after the send: the caller leaves the bytes alone until then.
 */
export class InMemoryBody implements Body {
  readonly size: number;
  private hashes: RangeDigest | undefined;

  constructor(readonly inMemory: Buffer) {
    this.size = inMemory.length;
  }

  open(): Readable {
    return new PassThrough().end(this.inMemory);
  }

  digest(): RangeDigest {
    return (this.hashes ??= { crc64: crc64(this.inMemory) });
  }
}
