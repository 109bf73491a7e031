import { readdir } from 'node:fs/promises';
import { basename, dirname } from 'node:path';

/**
 * Answers "may a local file already be at this path?" without an lstat per file when restoring
 * into a new or empty directory (the common case: a machine being rebuilt): a directory found
 * empty (or missing) when first seen holds only what this restore puts there. The lstat it saves
 * was a fifth of the file-system calls a small file costs.
 * Invariant: false only for a name in a directory that was empty when first seen and that no
 * earlier key of this restore folds to (case and Unicode form: a case-insensitive or normalising
 * file system, as on macOS, makes 'A' and 'a' one file) - then the caller checks the disk as before.
 */
export class FreshDirs {
  private readonly dirs = new Map<string, Promise<Set<string> | undefined>>();

  async mayExist(path: string): Promise<boolean> {
    const dir = dirname(path);
    let names = this.dirs.get(dir);
    if (!names) {
      names = readdir(dir).then(
        (entries) => (entries.length === 0 ? new Set<string>() : undefined),
        (err: NodeJS.ErrnoException) => {
          if (err.code === 'ENOENT') return new Set<string>();
          return undefined;
        },
      );
      this.dirs.set(dir, names);
    }
    const placed = await names;
    if (!placed) return true;
    const folded = basename(path).normalize('NFC').toLowerCase();
    if (placed.has(folded)) return true;
    placed.add(folded);
    return false;
  }
}
