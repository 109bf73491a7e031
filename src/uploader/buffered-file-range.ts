import { close } from 'node:fs';
import { Readable } from 'node:stream';
import { Crc64 } from '../lib/crc64.js';
import { readFully } from './file-range-read.js';
import { openFolderFile, type FolderFile } from './folder-file.js';
import { SLICE } from './in-memory-body.js';
import type { Body } from './object-storage.js';

/**
 * A part of a file as a request body, read into the caller's (reused) buffer one slice at a time as
 * the socket takes it: the next slice is read from disk while the last one is sent. (Reading the
 * whole part before sending left its connection idle for the read, and hashing it after the answer
 * held the event loop for the whole part at once.) Each byte is read and hashed (CRC-64) once; a
 * second attempt sends what was read from memory and reads only the rest.
 */
export class BufferedFileRange implements Body {
  readonly size: number;
  /** Bytes [0, readUpTo) of the buffer hold the file's and are in `crc`. */
  private readUpTo = 0;
  private readonly crc = new Crc64();
  /** Bumped by each open(): a stream of an earlier attempt (destroyed mid-read) records nothing. */
  private attempt = 0;

  constructor(
    private readonly file: FolderFile,
    private readonly start: number,
    private readonly bytes: Buffer,
  ) {
    this.size = bytes.length;
  }

  /** Throws (FileRefusedError, FileReplacedError...) when the file may not be read: nothing is sent. */
  open(): Readable {
    const attempt = ++this.attempt;
    // Each attempt that still has bytes to read opens afresh, through openFolderFile: no link, a regular file, the expected inode.
    const fd = this.readUpTo < this.size ? openFolderFile(this.file).fd : undefined;
    return Readable.from(this.slices(attempt, fd), { objectMode: false, highWaterMark: SLICE });
  }

  private async *slices(attempt: number, fd: number | undefined): AsyncGenerator<Buffer> {
    try {
      for (let at = 0; at < this.size; at += SLICE) {
        const slice = this.bytes.subarray(at, at + SLICE);
        if (at >= this.readUpTo) {
          await readFully(fd!, this.file.path, this.start + at, slice);
          if (attempt !== this.attempt) return;
          this.crc.update(slice);
          this.readUpTo = at + slice.length;
        }
        yield slice;
      }
    } finally {
      if (fd !== undefined) close(fd, () => undefined);
    }
  }

  /** The CRC-64/XZ (decimal) of the part, once all of it was read: what x-oss-hash-crc64ecma must say. */
  digest(): string {
    if (this.readUpTo < this.size) throw new Error(`${this.file.path} [${this.start}+${this.size}] was not read to the end`);
    return this.crc.digest();
  }
}
