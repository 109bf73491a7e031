import type { BigIntStats } from 'node:fs';
import { closeSync } from 'node:fs';
import { PermanentError } from './errors.js';
import { asFolderFile, openFolderFile, type FolderFile } from './folder-file.js';
import type { FileFingerprint } from './journal.js';

/**
 * The local file's identity (size, mtime in ns, inode, device), as fstat'ed through a descriptor
 * openFolderFile() opened: a link, FIFO or device in the file's place is refused, not followed.
 * A bare path is opened without following its last component (no folder root to check below).
 */
export async function fingerprintOf(file: FolderFile | string): Promise<FileFingerprint> {
  const target = asFolderFile(file);
  const { fd, stats } = openFolderFile(target);
  closeSync(fd);
  return fingerprintFromStats(target.path, stats);
}

/** The identity in stat results; a PermanentError for anything but a regular file. */
export function fingerprintFromStats(path: string, st: BigIntStats): FileFingerprint {
  if (!st.isFile()) throw new PermanentError(`${path} is not a regular file`);
  return { size: Number(st.size), mtimeNs: st.mtimeNs, ino: st.ino, dev: st.dev };
}

/** Why two fingerprints are not the same file content, or undefined when they are. */
export function fingerprintChange(before: FileFingerprint, after: FileFingerprint): string | undefined {
  if (before.size !== after.size) return `size ${before.size} -> ${after.size}`;
  if (before.mtimeNs !== after.mtimeNs) return 'mtime changed';
  if (before.ino !== after.ino || before.dev !== after.dev) return 'replaced by another file';
  return undefined;
}
