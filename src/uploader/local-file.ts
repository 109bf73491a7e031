import type { BigIntStats } from 'node:fs';
import { closeSync } from 'node:fs';
import { openFolderFile, type FolderFile } from './folder-file.js';
import type { FileFingerprint } from './journal.js';

/**
 * The local file's identity (size, mtime in ns, inode, device), as fstat'ed through a descriptor
 * openFolderFile() opened: a link, FIFO or device in the file's place is refused, not followed.
 */
export async function fingerprintOf(file: FolderFile): Promise<FileFingerprint> {
  const { fd, stats } = openFolderFile(file);
  closeSync(fd);
  return fingerprintFromStats(stats);
}

/** The identity in the stat results of a descriptor openFolderFile() opened (a regular file). */
export function fingerprintFromStats(st: BigIntStats): FileFingerprint {
  return { size: Number(st.size), mtimeNs: st.mtimeNs, ino: st.ino, dev: st.dev };
}

/** Why two fingerprints are not the same file content, or undefined when they are. */
export function fingerprintChange(before: FileFingerprint, after: FileFingerprint): string | undefined {
  if (before.size !== after.size) return `size ${before.size} -> ${after.size}`;
  if (before.mtimeNs !== after.mtimeNs) return 'mtime changed';
  if (before.ino !== after.ino || before.dev !== after.dev) return 'replaced by another file';
  return undefined;
}
