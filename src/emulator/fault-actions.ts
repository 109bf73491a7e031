import { setTimeout as sleep } from 'node:timers/promises';
import { Transform, type TransformCallback } from 'node:stream';
import { flipped } from './body-reader.js';
import type { Bucket } from './bucket.js';
import { OssError } from './oss-error.js';
import type { RequestContext } from './request-context.js';
import type { FaultAction } from './types.js';

/** Reads the body until `afterBytes` have arrived (or it ends), then drops the connection unanswered. */
async function resetAfter(ctx: RequestContext, afterBytes: number): Promise<void> {
  try {
    for await (const chunk of afterBytes > 0 ? (ctx.req as AsyncIterable<Buffer>) : []) {
      ctx.bytesReceived += chunk.length;
      if (ctx.bytesReceived >= afterBytes) break;
    }
  } catch {
    // The client dropped the connection first.
  }
  ctx.req.socket.destroy();
}

/** Applies injected faults before the request is handled; true when one answered (or dropped) the request itself. */
export async function applyFaults(ctx: RequestContext, actions: readonly FaultAction[], bucket: Bucket): Promise<boolean> {
  for (const action of actions) {
    if (action.type === 'latency') await sleep(action.ms);
    if (action.type === 'throttle') ctx.throttleBytesPerSecond = action.bytesPerSecond;
    if (action.type === 'corrupt') ctx.corruptAtByte = action.atByte;
    if (action.type === 'corruptResponse') ctx.corruptResponseAtByte = action.atByte;
    if (action.type === 'forgetUpload' && ctx.parsed.uploadId !== undefined) await bucket.uploads.remove(ctx.parsed.uploadId);
  }
  const reset = actions.find((a) => a.type === 'reset');
  if (reset) {
    await resetAfter(ctx, reset.afterBytes);
    return true;
  }
  const error = actions.find((a) => a.type === 'error');
  // Answered as any OSS error is, after the body is drained (emulator-server.ts).
  if (error) throw new OssError(error.status, error.code, error.message ?? `Injected fault: ${error.code}`);
  return false;
}

/** A pass-through that inverts the byte at `atByte`: a response damaged on the way, which only the client's CRC-64 check catches. */
export function flipByteAt(atByte: number): Transform {
  let offset = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      offset += chunk.length;
      callback(null, flipped(chunk, offset - chunk.length, atByte));
    },
  });
}

/** A pass-through that holds what flows through it to `bytesPerSecond`: a slow link (a throttle fault on a GetObject). */
export function paceTo(bytesPerSecond: number): Transform {
  const startedAt = Date.now();
  let sent = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      sent += chunk.length;
      const wait = startedAt + (sent / bytesPerSecond) * 1000 - Date.now();
      if (wait > 0) setTimeout(() => callback(null, chunk), wait);
      else callback(null, chunk);
    },
  });
}
