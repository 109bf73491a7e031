import { Transform, type TransformCallback } from 'node:stream';

/**
 * A pass-through that inverts the byte at `atByte` of what flows through it: a response damaged on
 * the way (a bad NIC, a proxy), which the client can only catch by checking the CRC-64 itself.
 */
export function flipByteAt(atByte: number): Transform {
  let offset = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      if (atByte >= offset && atByte < offset + chunk.length) {
        chunk = Buffer.from(chunk); // the reader's buffer is not ours to change
        chunk[atByte - offset]! ^= 0xff;
      }
      offset += chunk.length;
      callback(null, chunk);
    },
  });
}
