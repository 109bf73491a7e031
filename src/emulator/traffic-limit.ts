import { Transform, type TransformCallback } from 'node:stream';
import { ossErrors } from './oss-error.js';
import type { RequestContext } from './request-context.js';

/** OSS's range for x-oss-traffic-limit, in bits per second (100 KB/s to 100 MB/s). */
export const TRAFFIC_LIMIT_BITS = { min: 819_200, max: 838_860_800 } as const;

/**
 * The request's x-oss-traffic-limit as bytes per second, or undefined without one. As OSS does, a
 * value outside the range (or not a number) is refused before the body is read.
 */
export function trafficLimitOf(ctx: RequestContext): number | undefined {
  const raw = ctx.header('x-oss-traffic-limit');
  if (raw === undefined) return undefined;
  const bits = /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : Number.NaN;
  if (!(bits >= TRAFFIC_LIMIT_BITS.min && bits <= TRAFFIC_LIMIT_BITS.max)) {
    throw ossErrors.invalidArgument(`x-oss-traffic-limit must be between ${TRAFFIC_LIMIT_BITS.min} and ${TRAFFIC_LIMIT_BITS.max}.`, {
      ArgumentName: 'x-oss-traffic-limit',
      ArgumentValue: raw,
    });
  }
  return bits / 8;
}

/** Passes the body on no faster than bytesPerSecond on average since its first byte (reading slower pushes back on the client). */
export function pacedBody(bytesPerSecond: number): Transform {
  let started: number | undefined;
  let received = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      started ??= performance.now();
      received += chunk.length;
      const due = started + (received / bytesPerSecond) * 1000;
      const wait = due - performance.now();
      if (wait <= 0) return callback(null, chunk);
      setTimeout(() => callback(null, chunk), wait);
    },
  });
}
