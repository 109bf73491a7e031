import type { Hash } from 'node:crypto';
import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';
import type { TransformCallback } from 'node:stream';
import { Crc64 } from '../lib/crc64.js';
import type { RequestContext } from './request-context.js';

/**
 * Pass-through for a request body: counts bytes into the request context, paces them when a throttle
 * fault is set, and (optionally) hashes MD5 and CRC-64 on the way, so each byte is hashed once and
 * passed on without a copy.
 */
export class BodyMeter extends Transform {
  readonly md5: Hash | undefined;
  readonly crc: Crc64 | undefined;
  size = 0;
  private readonly startedAt = Date.now();

  constructor(
    private readonly ctx: RequestContext,
    hash: boolean,
  ) {
    super();
    this.md5 = hash ? createHash('md5') : undefined;
    this.crc = hash ? new Crc64() : undefined;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const at = this.ctx.corruptAtByte;
    if (at !== undefined && at >= this.size && at < this.size + chunk.length) {
      chunk = Buffer.from(chunk); // the sender's buffer is not ours to change
      chunk[at - this.size]! ^= 0xff;
    }
    this.size += chunk.length;
    this.ctx.bytesReceived += chunk.length;
    this.md5?.update(chunk);
    this.crc?.update(chunk);
    const rate = this.ctx.throttleBytesPerSecond;
    const wait = rate ? this.startedAt + (this.size / rate) * 1000 - Date.now() : 0;
    if (wait > 0) setTimeout(() => callback(null, chunk), wait);
    else callback(null, chunk);
  }
}
