import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { Transform, Writable } from 'node:stream';
import type { Readable, TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Crc64 } from '../lib/crc64.js';
import { removeQuietly, tempFilePath } from './atomic-file.js';
import { ossErrors } from './oss-error.js';
import type { RequestContext } from './request-context.js';

/**
 * OSS's answer to a body that stops arriving: 400 RequestTimeout, sent while the body is still open
 * (destroying the request would take the socket, and the answer, with it). `connection: close` then
 * ends the socket, and the reader waiting on the body fails once the answer is already logged.
 */
function timeOut(ctx: RequestContext): void {
  if (ctx.res.headersSent) return void ctx.res.destroy();
  ctx.errorCode = 'RequestTimeout';
  ctx.res.setHeader('connection', 'close');
  ctx.sendError(ossErrors.requestTimeout());
}

/** Checks a received body's file (at `path`) and moves it into place. */
type CommitBody<T> = (path: string, body: ReceivedBody) => Promise<T>;

export interface ReceivedBody {
  size: number;
  /** Uppercase hex, as OSS puts it in ETags. */
  md5Hex: string;
  crc64: string;
}

/** Passes bytes on as they are, hashing them (MD5 and CRC-64) on the way: each byte is hashed once and passed on without a copy. */
export class Hasher extends Transform {
  private readonly md5 = createHash('md5');
  private readonly crc = new Crc64();
  size = 0;

  protected hash(chunk: Buffer): void {
    this.size += chunk.length;
    this.md5.update(chunk);
    this.crc.update(chunk);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash(chunk);
    callback(null, chunk);
  }

  /** What passed through, once it all has. */
  result(): ReceivedBody {
    return { size: this.size, md5Hex: this.md5.digest('hex').toUpperCase(), crc64: this.crc.digest() };
  }
}

/** `chunk`, found at `offset` of its stream, with the stream's byte `atByte` inverted if it holds it (in a copy: the sender's buffer is not ours to change). */
export function flipped(chunk: Buffer, offset: number, atByte: number | undefined): Buffer {
  if (atByte === undefined || atByte < offset || atByte >= offset + chunk.length) return chunk;
  const copy = Buffer.from(chunk);
  copy[atByte - offset]! ^= 0xff;
  return copy;
}

/**
 * A Hasher for a request body that also counts its bytes into the request context, flips the byte a
 * corrupt fault names, paces them when a throttle is set, and times out a body that stops arriving.
 */
class BodyMeter extends Hasher {
  private readonly startedAt = Date.now();
  /** Runs only while we wait for the client's next bytes (not while a throttle fault holds them). */
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(private readonly ctx: RequestContext) {
    super();
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
    chunk = flipped(chunk, this.size, this.ctx.corruptAtByte);
    this.hash(chunk);
    this.ctx.bytesReceived += chunk.length;
    const rate = this.ctx.throttleBytesPerSecond;
    const wait = rate ? this.startedAt + (this.size / rate) * 1000 - Date.now() : 0;
    if (wait > 0) setTimeout(passOn, wait);
    else passOn();
  }
}

/** Checks Content-MD5 (base64 of the body's MD5) when the client sent one. */
function checkContentMd5(ctx: RequestContext, body: ReceivedBody): void {
  const expected = ctx.header('content-md5');
  if (expected !== undefined && expected.trim() !== Buffer.from(body.md5Hex, 'hex').toString('base64')) throw ossErrors.invalidDigest();
}

/** OSS's range for x-oss-traffic-limit, in bits per second (100 KB/s to 100 MB/s). */
const TRAFFIC_LIMIT_BITS = { min: 819_200, max: 838_860_800 } as const;

/** x-oss-traffic-limit in bytes per second; as on OSS, a value out of range (or not a number) is refused before the body is read. */
function trafficLimitOf(ctx: RequestContext): number | undefined {
  const raw = ctx.header('x-oss-traffic-limit');
  if (raw === undefined) return undefined;
  const bits = /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : Number.NaN;
  if (!(bits >= TRAFFIC_LIMIT_BITS.min && bits <= TRAFFIC_LIMIT_BITS.max)) {
    const range = `${TRAFFIC_LIMIT_BITS.min} and ${TRAFFIC_LIMIT_BITS.max}`;
    throw ossErrors.invalidValue(`x-oss-traffic-limit must be between ${range}.`, 'x-oss-traffic-limit', raw);
  }
  return bits / 8;
}

/**
 * Streams `source` through `hasher` into a file in `tempDir` and hands it to `commit`, which checks
 * what arrived and moves it into place. On any failure the file is removed, so a partly received or
 * refused body never lands anywhere.
 */
export async function storeBody<T>(source: Readable, hasher: Hasher, tempDir: string, commit: CommitBody<T>): Promise<T> {
  const tempPath = tempFilePath(tempDir);
  try {
    await pipeline(source, hasher, createWriteStream(tempPath, { highWaterMark: 1 << 20 }));
    return await commit(tempPath, hasher.result());
  } catch (err) {
    await removeQuietly(tempPath);
    throw err;
  }
}

/** The request body, stored as storeBody does, once it passed OSS's checks of its size and Content-MD5. */
export async function receiveBody<T>(ctx: RequestContext, tempDir: string, maxSize: number, commit: CommitBody<T>): Promise<T> {
  const declared = ctx.header('content-length');
  const length = declared === undefined ? undefined : Number(declared);
  if (length !== undefined && length > maxSize) throw ossErrors.entityTooLarge();
  const trafficLimit = trafficLimitOf(ctx);
  // The meter paces the body: to the traffic limit, or a throttle fault's rate when that is slower.
  if (trafficLimit !== undefined) ctx.throttleBytesPerSecond = Math.min(ctx.throttleBytesPerSecond ?? Infinity, trafficLimit);
  return storeBody(ctx.req, new BodyMeter(ctx), tempDir, (path, body) => {
    if (length !== undefined && body.size !== length) throw ossErrors.incompleteBody();
    if (body.size > maxSize) throw ossErrors.entityTooLarge();
    checkContentMd5(ctx, body);
    return commit(path, body);
  });
}

/** Reads a small body (an XML request) into memory, refusing anything over `limit` bytes. */
export async function readSmallBody(ctx: RequestContext, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  const meter = new BodyMeter(ctx);
  await pipeline(ctx.req, meter, async (body: AsyncIterable<Buffer>) => {
    for await (const chunk of body) {
      size += chunk.length;
      if (size > limit) throw ossErrors.invalidArgument(`Request body exceeds ${limit} bytes.`);
      chunks.push(chunk);
    }
  });
  checkContentMd5(ctx, meter.result());
  return Buffer.concat(chunks);
}

/** Reads and discards whatever is left of the body (counted in the log), so an early answer still reaches the client. */
export async function drainBody(ctx: RequestContext): Promise<void> {
  if (ctx.req.readableEnded || ctx.req.destroyed) return;
  await pipeline(ctx.req, new BodyMeter(ctx), new Writable({ write: (_c, _e, cb) => cb() })).catch(() => undefined);
}
