import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { Crc64 } from '../lib/crc64.js';
import type { RangeDigest } from './hashed-file-range.js';
import type { Body } from './object-storage.js';

const SLICE = 64 * 1024;

/**
 * A request body already in memory (a small file's snapshot): hashed once up front, so the request
 * can carry Content-MD5 and the server itself refuses a body damaged on the way.
 */
export class InMemoryBody implements Body {
  readonly size: number;
  readonly inMemory: { bytes: Buffer; md5Base64: string };
  private readonly hashes: RangeDigest;

  constructor(bytes: Buffer) {
    const md5 = createHash('md5').update(bytes).digest();
    this.size = bytes.length;
    this.inMemory = { bytes, md5Base64: md5.toString('base64') };
    this.hashes = { md5: md5.toString('hex').toUpperCase(), crc64: new Crc64().update(bytes).digest() };
  }

  /**
   * Slices of 64 KiB (views, no copies), pulled as the socket drains: a stream handed the whole
   * buffer at once would have nothing left to cut when an abort destroys it.
   */
  open(): Readable {
    const { bytes } = this.inMemory;
    return Readable.from(
      (function* () {
        for (let at = 0; at < bytes.length; at += SLICE) yield bytes.subarray(at, at + SLICE);
      })(),
      { objectMode: false, highWaterMark: SLICE },
    );
  }

  digest(): RangeDigest {
    return this.hashes;
  }
}
