import { createHash } from 'node:crypto';
import { PassThrough, type Readable } from 'node:stream';
import { Crc64 } from '../lib/crc64.js';
import type { RangeDigest } from './hashed-file-range.js';
import type { Body } from './object-storage.js';

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

  open(): Readable {
    return new PassThrough().end(this.inMemory.bytes);
  }

  digest(): RangeDigest {
    return this.hashes;
  }
}
