import { closeSync, createReadStream } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { Crc64 } from '../lib/crc64.js';
import type { Fingerprint } from '../store/index.js';
import { openFolderFile, type FolderFile } from '../uploader/index.js';

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
  // Read as the uploader reads: no link below the folder root, a regular file, the inode queued.
  const { fd, stats: before } = openFolderFile(file);
  if (Number(before.size) !== remote.size) {
    closeSync(fd);
    return undefined;
  }
  const crc = new Crc64();
  for await (const chunk of createReadStream(file.path, { fd, highWaterMark: 1024 * 1024 })) crc.update(chunk as Buffer);
  const after = await lstat(file.path, { bigint: true });
  const stable = after.size === before.size && after.mtimeNs === before.mtimeNs && after.ino === before.ino;
  if (!stable || crc.digest() !== remote.crc64) return undefined;
  return { size: Number(after.size), mtimeNs: after.mtimeNs, ino: after.ino, dev: after.dev };
}
