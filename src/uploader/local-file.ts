import type { BigIntStats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { FileGoneError, PermanentError } from './errors.js';
import type { FileFingerprint } from './journal.js';

/**
 * The local file's identity (size, mtime in ns, inode, device) and the typed errors for a file that
 * cannot be read.
 */
export async function fingerprintOf(path: string): Promise<FileFingerprint> {
  let st;
  try {
    st = await stat(path, { bigint: true });
  } catch (err) {
    throw localFileError(path, err);
  }
  return fingerprintFromStats(path, st);
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

/** File-system errors as the uploader reports them; anything else unchanged. */
export function localFileError(path: string, err: unknown): unknown {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return new FileGoneError(path);
  if (code === 'EACCES' || code === 'EPERM') return new PermanentError(`cannot read ${path}: permission denied (${code})`, { cause: err });
  if (code === 'EISDIR') return new PermanentError(`${path} is a directory`, { cause: err });
  if (typeof code === 'string' && typeof (err as { syscall?: unknown }).syscall === 'string') {
    return new PermanentError(`cannot read ${path}: ${code}`, { cause: err });
  }
  return err;
}
