import { close, read } from 'node:fs';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { Crc64 } from '../lib/crc64.js';
import { FileChangedError, localFileError } from './errors.js';
import { openFolderFile, type FolderFile } from './folder-file.js';
import { SLICE } from './in-memory-body.js';
import type { Body } from './object-storage.js';

const readAt = promisify(read);

/**
 * A byte range of a file as a request body, read one slice at a time as the socket takes it: the next
 * slice is read while the last is sent (the connection never idles for a whole part's read), and each
 * byte is read and hashed (CRC-64) once per attempt.
 *
 * `kept`: the caller's (reused) buffer of the range's size. The bytes read stay in it, so a second
 * attempt sends what was read from memory and reads only the rest. Without one (a part too big to
 * buffer, or no memory budget to spare), each slice is read into a fresh buffer, and every attempt
 * reads and hashes the range from its start: memory stays at a few slices whatever the range size.
 */
export class BufferedFileRange implements Body {
  /** Bytes [0, readUpTo) of the range were read and are in `crc` (and, with `kept`, in it). */
  private readUpTo = 0;
  private crc = new Crc64();
  /** Bumped by each open(): a stream of an earlier attempt (destroyed mid-read) records nothing. */
  private attempt = 0;

  constructor(
    private readonly file: FolderFile,
    private readonly start: number,
    readonly size: number,
    private readonly kept?: Buffer,
  ) {}

  /** Throws (FileRefusedError, FileReplacedError...) when the file may not be read: nothing is sent. */
  open(): Readable {
    const attempt = ++this.attempt;
    if (!this.kept) {
      this.readUpTo = 0;
      this.crc = new Crc64();
    }
    // Each attempt that still has bytes to read opens afresh, through openFolderFile: no link, a regular file, the expected inode.
    const fd = this.readUpTo < this.size ? openFolderFile(this.file).fd : undefined;
    return Readable.from(this.slices(attempt, fd), { objectMode: false, highWaterMark: SLICE });
  }

  private async *slices(attempt: number, fd: number | undefined): AsyncGenerator<Buffer> {
    try {
      for (let at = 0; at < this.size; at += SLICE) {
        const length = Math.min(SLICE, this.size - at);
        const slice = this.kept ? this.kept.subarray(at, at + length) : Buffer.allocUnsafe(length);
        if (at >= this.readUpTo) {
          await readFully(fd!, this.file.path, this.start + at, slice);
          if (attempt !== this.attempt) return;
          this.crc.update(slice);
          this.readUpTo = at + length;
        }
        yield slice;
      }
    } finally {
      if (fd !== undefined) close(fd, () => undefined);
    }
  }

  /** The CRC-64/XZ (decimal) of the range, once all of it was read: what x-oss-hash-crc64ecma must say. */
  digest(): string {
    if (this.readUpTo < this.size) throw new Error(`${this.file.path} [${this.start}+${this.size}] was not read to the end`);
    return this.crc.digest();
  }
}

/**
 * Fills `into` with the file's bytes from `start` on, straight into the caller's buffer. A file that
 * ends early has shrunk since the range was planned: a FileChangedError, never a short part.
 */
async function readFully(fd: number, path: string, start: number, into: Buffer): Promise<void> {
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
