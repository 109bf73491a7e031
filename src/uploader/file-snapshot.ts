import { closeSync, fstatSync, readSync } from 'node:fs';
import { FileChangedError, localFileError } from './errors.js';
import { fingerprintFromStats, openFolderFile, type FolderFile } from './folder-file.js';
import type { FileFingerprint } from './journal.js';

export interface FileSnapshot {
  /** The file as fstat'ed through the descriptor that read it. */
  fingerprint: FileFingerprint;
  /** The whole content, when the file is at most the size asked for; otherwise undefined (stream it). */
  bytes: Buffer | undefined;
  /** st_mode's permission bits (x-oss-meta-mode). */
  mode: number;
}

/**
 * Stats a file and, when it is small, reads it whole, all through one descriptor and synchronously.
 *
 * Why synchronous: for a small file the four system calls take microseconds, less than the main
 * thread pays for each async fs call's thread-pool hand-off (bench/NOTES.md), and that decides
 * small-file throughput. A slow disk blocks the event loop for one small read; maxBytes bounds it.
 *
 * Why it is a consistent snapshot: the file is fstat'ed before and after the read; if size, mtime or
 * inode moved in between, a writer was at work and FileChangedError says so. The bytes returned are
 * therefore the file's content at one moment, and can be sent without stat'ing the file again.
 */
export function snapshotFile(file: FolderFile, maxBytes: number): FileSnapshot {
  const path = file.path;
  // No link followed, nothing but a regular file (a FIFO never waited for), the queued inode only.
  const { fd, stats } = openFolderFile(file);
  try {
    const fingerprint = fingerprintFromStats(stats);
    const mode = Number(stats.mode) & 0o7777;
    if (fingerprint.size > maxBytes) return { fingerprint, bytes: undefined, mode };
    const bytes = Buffer.allocUnsafe(fingerprint.size);
    for (let done = 0; done < bytes.length;) {
      const n = readSync(fd, bytes, done, bytes.length - done, done);
      if (n === 0) throw new FileChangedError(path, `read ${done} bytes of ${bytes.length}`);
      done += n;
    }
    const change = fingerprintChange(fingerprint, fingerprintFromStats(fstatSync(fd, { bigint: true })));
    if (change) throw new FileChangedError(path, change);
    return { fingerprint, bytes, mode };
  } catch (err) {
    throw localFileError(path, err);
  } finally {
    closeSync(fd);
  }
}

/**
 * The local file's identity (size, mtime in ns, inode, device), as fstat'ed through a descriptor
 * openFolderFile() opened: a link, FIFO or device in the file's place is refused, not followed.
 */
export async function fingerprintOf(file: FolderFile): Promise<FileFingerprint> {
  const { fd, stats } = openFolderFile(file);
  closeSync(fd);
  return fingerprintFromStats(stats);
}

/** Why two fingerprints are not the same file content, or undefined when they are. */
export function fingerprintChange(before: FileFingerprint, after: FileFingerprint): string | undefined {
  if (before.size !== after.size) return `size ${before.size} -> ${after.size}`;
  if (before.mtimeNs !== after.mtimeNs) return 'mtime changed';
  if (before.ino !== after.ino || before.dev !== after.dev) return 'replaced by another file';
  return undefined;
}
