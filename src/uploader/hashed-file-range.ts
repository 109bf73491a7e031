import { createReadStream } from 'node:fs';
import { Readable, Transform } from 'node:stream';
import type { TransformCallback } from 'node:stream';
import { Crc64 } from '../lib/crc64.js';
import { FileChangedError, localFileError } from './errors.js';
import { asFolderFile, openFolderFile, type FolderFile } from './folder-file.js';
import type { Body } from './object-storage.js';

/**
 * A byte range of a file as a request body, its CRC-64 computed as it streams to the socket, so each
 * byte is read from disk once and hashed once per attempt, and memory stays at a few read buffers
 * whatever the range size.
 */
export class HashedFileRange implements Body {
  private lastDigest: string | undefined;
  private readonly file: FolderFile;

  constructor(
    file: FolderFile | string,
    readonly start: number,
    readonly size: number,
    private readonly highWaterMark: number,
  ) {
    this.file = asFolderFile(file);
  }

  get path(): string {
    return this.file.path;
  }

  /** Throws (FileRefusedError, FileReplacedError...) when the file may not be read: nothing is sent. */
  open(): Readable {
    this.lastDigest = undefined;
    // Each attempt opens afresh, through openFolderFile: no link, a regular file, the expected inode.
    const source =
      this.size === 0
        ? Readable.from([])
        : createReadStream(this.path, {
            fd: openFolderFile(this.file).fd,
            start: this.start,
            end: this.start + this.size - 1,
            highWaterMark: this.highWaterMark,
          });
    const hasher = new HashingTransform(this.path, this.size, (digest) => {
      this.lastDigest = digest;
    });
    // Errors of the file stream (EIO...) surface, typed, on the stream the request reads.
    source.once('error', (err: Error) => hasher.destroy(localFileError(this.path, err) as Error));
    hasher.once('close', () => source.destroy());
    return source.pipe(hasher);
  }

  /** The CRC-64/XZ (decimal) of the last stream opened, once its last byte was read: what x-oss-hash-crc64ecma must say. */
  digest(): string {
    if (!this.lastDigest) throw new Error(`${this.path} [${this.start}+${this.size}] was not read to the end`);
    return this.lastDigest;
  }
}

class HashingTransform extends Transform {
  private readonly crc = new Crc64();
  private bytes = 0;

  constructor(
    private readonly path: string,
    private readonly expected: number,
    private readonly onDigest: (crc64: string) => void,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.crc.update(chunk);
    this.bytes += chunk.length;
    // Digest before the last byte leaves: the server may answer before this stream sees its end.
    if (this.bytes === this.expected) this.finish();
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    // A shorter read means the file shrank: the request would otherwise wait for bytes that never come.
    if (this.bytes !== this.expected) {
      callback(new FileChangedError(this.path, `read ${this.bytes} bytes of ${this.expected}`));
      return;
    }
    if (this.expected === 0) this.finish();
    callback();
  }

  private finish(): void {
    this.onDigest(this.crc.digest());
  }
}
