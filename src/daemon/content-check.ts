import { createHash } from 'node:crypto';
import { closeSync, createReadStream, readSync } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { Crc64 } from '../lib/crc64.js';
import type { Fingerprint } from '../store/index.js';
import { openFolderFile, type FolderFile } from '../uploader/index.js';

/** Files up to this size are read in one call rather than streamed. */
const WHOLE_READ_MAX = 1024 * 1024;

/** A file's content digests, read in one pass, with the fingerprint it kept throughout. */
export interface ContentDigests {
  fingerprint: Fingerprint;
  crc64: string;
  /** Uppercase hex, as OSS writes a PutObject's ETag. */
  md5Hex: string;
}

/**
 * Reads the file once (as the uploader reads: no link below the folder root, a regular file, the
 * inode queued) for its CRC-64 and MD5. Undefined when its size is not `expectedSize` or it changed
 * while it was read.
 */
export async function contentDigests(file: FolderFile, expectedSize: number): Promise<ContentDigests | undefined> {
  const { fd, stats: before } = openFolderFile(file);
  if (Number(before.size) !== expectedSize) {
    closeSync(fd);
    return undefined;
  }
  const crc = new Crc64();
  const md5 = createHash('md5');
  if (expectedSize <= WHOLE_READ_MAX) {
    // Small files (adoption reads thousands): one exact-size read, no stream and its 1 MiB buffer.
    const buf = Buffer.allocUnsafe(expectedSize);
    let got = 0;
    try {
      for (let n = 1; got < expectedSize && n > 0; got += n) n = readSync(fd, buf, got, expectedSize - got, got);
    } finally {
      closeSync(fd);
    }
    crc.update(buf.subarray(0, got));
    md5.update(buf.subarray(0, got));
  } else {
    for await (const chunk of createReadStream(file.path, { fd, highWaterMark: 1024 * 1024 })) {
      crc.update(chunk as Buffer);
      md5.update(chunk as Buffer);
    }
  }
  const after = await lstat(file.path, { bigint: true });
  const stable = after.size === before.size && after.mtimeNs === before.mtimeNs && after.ino === before.ino;
  if (!stable) return undefined;
  return {
    fingerprint: { size: Number(after.size), mtimeNs: after.mtimeNs, ino: after.ino, dev: after.dev },
    crc64: crc.digest(),
    md5Hex: md5.digest('hex').toUpperCase(),
  };
}

/**
 * The "ambiguous change" check: a file whose size is what OSS already holds but whose mtime or
 * inode moved (touch, a restore, `cp -p`, an editor's save-by-rename) is hashed locally; if its
 * CRC-64 equals the verified object's, nothing needs uploading. Reading is far faster than
 * uploading, so this pays off whenever the content really is the same.
 *
 * Returns the file's fingerprint when the content is unchanged, undefined otherwise (including
 * when the file changed while it was being read).
 */
export async function unchangedContent(file: FolderFile, remote: { size: number; crc64: string }): Promise<Fingerprint | undefined> {
  const digests = await contentDigests(file, remote.size);
  return digests?.crc64 === remote.crc64 ? digests.fingerprint : undefined;
}
