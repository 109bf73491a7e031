import { readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { Bucket } from './bucket.js';
import type { DataPiece } from './object-store.js';
import type { ObjectMeta } from './types.js';

const READ_CHUNK = 1 << 20;
/**
 * Objects up to this size are read whole when opened, by direct calls: for a few KiB, the thread
 * pool's round trips and a stream cost the emulator more than the read (bench/NOTES.md), and a
 * restore of small files otherwise measured the emulator's CPU, not the client's.
 */
const READ_WHOLE_BYTES = 64 * 1024;

export interface ByteRange {
  start: number;
  /** Inclusive. */
  end: number;
}

/** An object opened for reading: its metadata and its first data file already open, or a small one's bytes. */
export class OpenObject {
  private constructor(
    readonly meta: ObjectMeta,
    private readonly pieces: DataPiece[],
    private first: FileHandle | undefined,
    private readonly bytes?: Buffer,
  ) {}

  /**
   * Finds the object (ObjectStore.find: NoSuchKey, or that version) and opens its first data file
   * (or reads a small object whole), again when an overwrite replaced the object between the lookup and the open.
   */
  static async open(bucket: Bucket, key: string, versionId?: string): Promise<OpenObject> {
    for (let attempt = 0; ; attempt++) {
      const meta = bucket.objects.find(key, versionId);
      const pieces = bucket.objects.dataPieces(meta);
      try {
        if (meta.size <= READ_WHOLE_BYTES) {
          const bytes = Buffer.concat(pieces.map((piece) => readFileSync(piece.path).subarray(0, piece.size)));
          return new OpenObject(meta, pieces, undefined, bytes);
        }
        return new OpenObject(meta, pieces, pieces.length > 0 ? await open(pieces[0]!.path, 'r') : undefined);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= 3) throw err;
      }
    }
  }

  /** The bytes of `range` (inclusive) when the object was read whole (a small one), to send without a stream. */
  bytesOf(range: ByteRange): Buffer | undefined {
    return this.bytes?.subarray(range.start, range.end + 1);
  }

  /** The bytes of `range` (inclusive), read across the data files in order. Takes over the open file. */
  stream(range: ByteRange): Readable {
    const bytes = this.bytesOf(range);
    if (bytes) return Readable.from([bytes], { objectMode: false });
    const first = this.first;
    this.first = undefined;
    return Readable.from(readPieces(this.pieces, first, range.start, range.end), { objectMode: false });
  }

  /** Closes the first file if stream() never took it. */
  async close(): Promise<void> {
    await this.first?.close();
    this.first = undefined;
  }
}

async function* readPieces(pieces: DataPiece[], first: FileHandle | undefined, start: number, end: number): AsyncGenerator<Buffer> {
  let offset = 0;
  let pending = first; // until a read takes it over
  try {
    for (const [i, piece] of pieces.entries()) {
      const pieceStart = offset;
      offset += piece.size;
      if (piece.size === 0 || offset - 1 < start || pieceStart > end) continue;
      const handle = i === 0 && pending ? pending : await open(piece.path, 'r');
      if (handle === pending) pending = undefined;
      try {
        const from = Math.max(start, pieceStart) - pieceStart;
        const to = Math.min(end, offset - 1) - pieceStart;
        yield* handle.createReadStream({ start: from, end: to, highWaterMark: READ_CHUNK, autoClose: false });
      } finally {
        closeLater(handle);
      }
    }
  } finally {
    if (pending) closeLater(pending);
  }
}

/**
 * Closes without waiting: awaiting a close after the last byte would delay res.end() past the
 * moment the client has the whole body (and so the request log entry past the client's return).
 */
function closeLater(handle: FileHandle): void {
  handle.close().catch(() => undefined);
}
