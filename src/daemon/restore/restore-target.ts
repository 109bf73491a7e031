import { isAbsolute, join, sep } from 'node:path';
import { isInsideOrSame } from '../../config/index.js';

/** The longest file name (one path segment) most file systems take: NAME_MAX, 255 bytes, on Linux. */
const NAME_MAX = 255;

/** Where a key lands under the restore directory, or why it may not land anywhere. */
export type RestoreTarget = { ok: true; relPath: string; path: string } | { ok: false; reason: string };

/**
 * The local path of `key` (under `prefix`) inside `toDir`. Invariant: a returned path is strictly
 * inside toDir, lexically: a key with '..' or '.' segments, an empty segment ('a//b'), a leading '/',
 * a NUL, a segment over 255 bytes, a restore temporary name, or one that is a "directory" (ends in
 * '/') is refused, never normalised into a different file. (Symlinked directories inside toDir are
 * checked when the file is written.)
 */
export function restoreTarget(toDir: string, prefix: string, key: string): RestoreTarget {
  if (!key.startsWith(prefix)) return { ok: false, reason: `key is not under the prefix '${prefix}'` };
  const relPath = key.slice(prefix.length);
  if (relPath === '' || relPath.endsWith('/')) return { ok: false, reason: 'a directory marker, not a file' };
  if (relPath.includes('\0')) return { ok: false, reason: 'the key holds a NUL byte' };
  if (relPath.startsWith('/') || isAbsolute(relPath))
    return { ok: false, reason: 'an absolute path would land outside the restore directory' };
  const segments = relPath.split('/');
  if (segments.some((s) => s === '..' || s === '.' || s === '')) {
    return {
      ok: false,
      reason: "a '..', '.' or empty path segment would land outside the restore directory (or somewhere else than named)",
    };
  }
  // Checked before any GET: a longer name fails only at the final rename, after a large object was
  // fetched whole, and its kept temporary file and progress row made every rerun fetch it again.
  // The temporary name always fits: tempPathFor() hashes a name over 200 bytes (223 bytes at most).
  if (segments.some((s) => Buffer.byteLength(s) > NAME_MAX))
    return { ok: false, reason: `a name segment longer than ${NAME_MAX} bytes, more than a file system takes` };
  // Restore's own temporary name for another file (tempPathFor): both restores would write and rename
  // the one file, so one target would get the other's bytes while both are reported restored.
  // A watched folder never uploads such a name (the built-in ignore list holds '*.part').
  if (/^\..+\.oss-sync-restore\.part$/.test(segments.at(-1)!))
    return { ok: false, reason: "named as another file's temporary file during a restore ('.NAME.oss-sync-restore.part')" };
  // On Windows '\' separates too; elsewhere it is part of a name (as objectKey() maps it).
  if (sep === '\\' && relPath.includes('\\')) return { ok: false, reason: "a '\\' in a key is not restorable on Windows" };
  const path = join(toDir, ...segments);
  // By whole segments: '..config' and '...' are names inside toDir, not a way out.
  if (path === toDir || !isInsideOrSame(path, toDir)) return { ok: false, reason: 'would land outside the restore directory' };
  return { ok: true, relPath, path };
}
