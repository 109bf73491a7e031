import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { Crc64 } from '../lib/crc64.js';
import type { FileFingerprint } from './journal.js';

const CHUNK = 1024 * 1024;

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
export async function isPrefixSnapshot(path: string, before: FileFingerprint, sentCrc64: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch {
    return false; // gone or unreadable: the caller's FileChangedError leads to the real reason
  }
  try {
    const st = await handle.stat({ bigint: true });
    if (!st.isFile() || st.ino !== before.ino || st.dev !== before.dev || Number(st.size) < before.size) return false;
    const crc = new Crc64();
    const buffer = Buffer.allocUnsafe(Math.min(CHUNK, Math.max(1, before.size)));
    for (let done = 0; done < before.size; ) {
      const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, before.size - done), done);
      if (bytesRead === 0) return false; // shrank meanwhile
      crc.update(buffer.subarray(0, bytesRead));
      done += bytesRead;
    }
    return crc.digest() === sentCrc64;
  } catch {
    return false;
  } finally {
    await handle.close();
  }
}
