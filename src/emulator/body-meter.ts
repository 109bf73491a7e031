import type { Hash } from 'node:crypto';
import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';
import type { TransformCallback } from 'node:stream';
import { Crc64 } from '../lib/crc64.js';
import { ossErrors } from './oss-error.js';
import type { RequestContext } from './request-context.js';
import { sendError } from './responses.js';

/**
 * OSS's answer to a body that stops arriving: 400 RequestTimeout, then the connection closes. The
 * answer goes out while the body is still open (a destroyed request would take the socket, and the
 * answer, with it); `connection: close` ends the socket once it is written, and the reader waiting on
 * the body then fails with the closed socket, by which time the answer is already logged.
 */
function timeOut(ctx: RequestContext): void {
  if (ctx.res.headersSent) {
    ctx.res.destroy();
    return;
  }
  ctx.errorCode = 'RequestTimeout';
  ctx.res.setHeader('connection', 'close');
  sendError(ctx, ossErrors.requestTimeout());
}

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
  /** Runs only while we wait for the client's next bytes (not while a throttle fault holds them). */
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ctx: RequestContext,
    hash: boolean,
  ) {
    super();
    this.md5 = hash ? createHash('md5') : undefined;
    this.crc = hash ? new Crc64() : undefined;
    this.armIdleTimer();
  }

  private armIdleTimer(): void {
    clearTimeout(this.idleTimer);
    const ms = this.ctx.idleTimeoutMs;
    if (ms > 0 && Number.isFinite(ms)) this.idleTimer = setTimeout(() => timeOut(this.ctx), ms).unref();
  }

  override _flush(callback: TransformCallback): void {
    clearTimeout(this.idleTimer);
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    clearTimeout(this.idleTimer);
    callback(error);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    clearTimeout(this.idleTimer);
    const passOn = (): void => {
      this.armIdleTimer();
      callback(null, chunk);
    };
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
    if (wait > 0) setTimeout(passOn, wait);
    else passOn();
  }
}
