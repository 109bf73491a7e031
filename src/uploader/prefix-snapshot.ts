import { finished } from 'node:stream/promises';
import { BufferedFileRange } from './buffered-file-range.js';
import type { FolderFile } from './folder-file.js';
import type { FileFingerprint } from './journal.js';

/**
 * Whether what an upload sent is a true prefix snapshot of a file that changed while it was read:
 * the file is the same one (inode and device), at least as long as when the upload began (N bytes,
 * `before.size`), and its first N bytes, read again now that the upload is over, have the CRC-64 of
 * the bytes that were sent.
 *
 * Why that is sound: the bytes sent were read over time, but they equal the file's first N bytes as
 * they are now, after every read that went into them. A file that only grows (a log) never changes
 * its first N bytes, so the object is exactly what the file held when it was N bytes long. A file
 * rewritten in place fails the check (its CRC moves), and a truncated or replaced one fails on its
 * size or inode: those are FileChangedError, never a snapshot.
 *
 * Costs one more read of N bytes, only for a file that changed during its upload.
 */
export async function isPrefixSnapshot(file: FolderFile, before: FileFingerprint, sentCrc64: string): Promise<boolean> {
  // Read as every upload read is (no link, a regular file only), and only the inode that was sent.
  const target = { ...file, expected: { ino: before.ino, dev: before.dev } };
  try {
    const prefix = new BufferedFileRange(target, 0, before.size);
    await finished(prefix.open().resume()); // shorter now: FileChangedError, so not a snapshot
    return prefix.digest() === sentCrc64;
  } catch {
    return false; // gone, replaced or unreadable: the caller's FileChangedError leads to the real reason
  }
}
