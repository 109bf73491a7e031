import { createReadStream, createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { removeQuietly } from './atomic-file.js';

/** Streams the part files, in order, into one new file (never holding a part in memory). */
export async function concatenateParts(partPaths: readonly string[], destination: string): Promise<void> {
  const out = createWriteStream(destination, { highWaterMark: 1 << 20 });
  try {
    for (const path of partPaths) {
      await pipeline(createReadStream(path, { highWaterMark: 1 << 20 }), out, { end: false });
    }
    await new Promise<void>((resolve, reject) => {
      out.once('error', reject);
      out.end(resolve);
    });
  } catch (err) {
    out.destroy();
    await removeQuietly(destination);
    throw err;
  }
}
