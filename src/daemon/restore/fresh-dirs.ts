import { readdir } from 'node:fs/promises';
import { basename, dirname } from 'node:path';

/**
 * Answers "may a local file already be at this path?" without an lstat per file when restoring
 * into a new or empty directory (the common case: a machine being rebuilt): a directory found
 * empty (or missing) when first seen holds only what this restore puts there.
 * Invariant: false only for a name in a directory that was empty when first seen and that no
 * earlier key of this restore folds to (case and Unicode form: a case-insensitive or normalising
 * file system, as on macOS, makes 'A' and 'a' one file); otherwise the caller checks the disk.
 */
export class FreshDirs {
  /** Per directory: the names placed so far (fresh), null (not fresh), or the readdir still under way. */
  private readonly dirs = new Map<string, Set<string> | null | Promise<unknown>>();

  /** A boolean once the directory was seen: no promise per file (a restore of small files' hot path). */
  mayExist(path: string): boolean | Promise<boolean> {
    const dir = dirname(path);
    const placed = this.dirs.get(dir);
    if (placed === undefined) {
      const reading = readdir(dir).then(
        (entries) => this.dirs.set(dir, entries.length === 0 ? new Set<string>() : null),
        (err: NodeJS.ErrnoException) => this.dirs.set(dir, err.code === 'ENOENT' ? new Set<string>() : null),
      );
      this.dirs.set(dir, reading);
      return reading.then(() => this.mayExist(path));
    }
    if (placed instanceof Promise) return placed.then(() => this.mayExist(path));
    if (!placed) return true;
    const folded = basename(path).normalize('NFC').toLowerCase();
    if (placed.has(folded)) return true;
    placed.add(folded);
    return false;
  }
}
