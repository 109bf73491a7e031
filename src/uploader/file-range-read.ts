import { close, read } from 'node:fs';
import { promisify } from 'node:util';
import { FileChangedError, localFileError } from './errors.js';
import { asFolderFile, openFolderFile, type FolderFile } from './folder-file.js';

const readAt = promisify(read);

/**
 * Fills `into` with the file's bytes from `start` on, reading straight into the caller's (reused)
 * buffer: no allocation per read. A file that ends early has shrunk since it was planned, which is
 * a FileChangedError, never a short part.
 */
export async function readFileRange(file: FolderFile | string, start: number, into: Buffer): Promise<void> {
  const target = asFolderFile(file);
  // Opened afresh for each range: no link followed, a regular file only (a FIFO never waited
  // for), and the inode this upload began with (target.expected), or nothing is read.
  const { fd } = openFolderFile(target);
  try {
    await readFully(fd, target.path, start, into);
  } finally {
    close(fd, () => undefined);
  }
}

/** readFileRange on a descriptor openFolderFile gave (`path` names it in errors). */
export async function readFully(fd: number, path: string, start: number, into: Buffer): Promise<void> {
  try {
    for (let done = 0; done < into.length;) {
      const { bytesRead } = await readAt(fd, into, done, into.length - done, start + done);
      if (bytesRead === 0) throw new FileChangedError(path, `read ${done} of ${into.length} bytes at offset ${start}`);
      done += bytesRead;
    }
  } catch (err) {
    throw localFileError(path, err);
  }
}
