import { createHash } from 'node:crypto';
import { closeSync, createReadStream, fstatSync, readSync } from 'node:fs';
import { Crc64 } from '../lib/crc64.js';
import type { Fingerprint } from '../store/index.js';
import { openFolderFile, type DirectoryCache, type FolderFile } from '../uploader/index.js';

/** Files up to this size are read in one call rather than streamed. */
const WHOLE_READ_MAX = 1024 * 1024;

/** A file's content digests, read in one pass, with the fingerprint it kept throughout. */
export interface ContentDigests {
  fingerprint: Fingerprint;
  crc64: string;
  /** Uppercase hex, as OSS writes a PutObject's ETag; only when asked for. */
  md5Hex?: string;
}

/**
 * Reads the file once (as the uploader reads: no link below the folder root, a regular file, the
 * inode queued) for its CRC-64, and its MD5 if `md5`. Undefined when its size is not
 * `expectedSize` or it changed while it was read. `dirs`: keep its directory open for the next file.
 */
export async function contentDigests(
  file: FolderFile,
  expectedSize: number,
  { md5 = false, dirs }: { md5?: boolean; dirs?: DirectoryCache } = {},
): Promise<ContentDigests | undefined> {
  const { fd, stats: before } = openFolderFile(file, dirs);
  try {
    if (Number(before.size) !== expectedSize) return undefined;
    const crc = new Crc64();
    const hash = md5 ? createHash('md5') : undefined;
    if (expectedSize <= WHOLE_READ_MAX) {
      // Small files (adoption reads thousands): one exact-size read, no stream and its 1 MiB buffer.
      const buf = Buffer.allocUnsafe(expectedSize);
      let got = 0;
      for (let n = 1; got < expectedSize && n > 0; got += n) n = readSync(fd, buf, got, expectedSize - got, got);
      crc.update(buf.subarray(0, got));
      hash?.update(buf.subarray(0, got));
    } else {
      for await (const chunk of createReadStream(file.path, { fd, autoClose: false, highWaterMark: 1024 * 1024 })) {
        crc.update(chunk as Buffer);
        hash?.update(chunk as Buffer);
      }
    }
    // Judged on the descriptor read, not the path: a write during the read moves size or mtime; a file
    // renamed over the path meanwhile is another inode, which the next walk or watcher event queues.
    const after = fstatSync(fd, { bigint: true });
    if (after.size !== before.size || after.mtimeNs !== before.mtimeNs) return undefined;
    return {
      fingerprint: { size: Number(after.size), mtimeNs: after.mtimeNs, ino: after.ino, dev: after.dev },
      crc64: crc.digest(),
      md5Hex: hash?.digest('hex').toUpperCase(),
    };
  } finally {
    closeSync(fd);
  }
}
