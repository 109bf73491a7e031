import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { FileChangedError } from './errors.js';
import { localFileError } from './local-file.js';

/**
 * Fills `into` with the file's bytes from `start` on, reading straight into the caller's (reused)
 * buffer: no allocation per read. A file that ends early has shrunk since it was planned, which is
 * a FileChangedError, never a short part.
 */
export async function readFileRange(path: string, start: number, into: Buffer): Promise<void> {
  let handle;
  try {
    // O_NONBLOCK: a FIFO that replaced the file must not hold a thread-pool thread waiting for a writer.
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    throw localFileError(path, err);
  }
  try {
    for (let done = 0; done < into.length; ) {
      const { bytesRead } = await handle.read(into, done, into.length - done, start + done);
      if (bytesRead === 0) throw new FileChangedError(path, `read ${done} of ${into.length} bytes at offset ${start}`);
      done += bytesRead;
    }
  } catch (err) {
    throw localFileError(path, err);
  } finally {
    await handle.close();
  }
}
