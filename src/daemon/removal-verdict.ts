import { lstatSync } from "node:fs";

/** A file some watcher, walk or worker found missing, with the device the store recorded it on. */
export interface MissingFile {
  relPath: string;
  dev: bigint;
}

export interface RemovalVerdicts {
  /** Deleted for real: the delete policy applies. */
  gone: string[];
  /** Its disk may just be unmounted: neither deleted remotely nor forgotten; judged again later. */
  unmounted: string[];
  /** There after all (a late event, or a name that decodes like another's): nothing to do. */
  present: string[];
}

/**
 * Tells a deleted file from one whose disk was unmounted. When a disk mounted inside a folder is
 * unmounted, its files vanish but the mount point stays, empty and now on its parent's device (or
 * is removed with it, as desktop automounters do): every file in it looks deleted, none was.
 *
 * The rule: a file counts as gone only if the nearest directory above it that still exists (its own
 * directory, normally) is on the device the file was recorded on. Its directory on another device
 * is an unmount; a directory that vanished whole is one too, unless the directory above it is on the
 * file's device, which proves no mount point stood in between (an `rm -r` of a plain directory).
 * A bind mount of the same filesystem keeps the device and cannot be told apart this way.
 *
 * Synchronous lstat calls, one per distinct directory (memoised for the call): a directory of
 * 100,000 deleted files costs one lstat of it, plus one per file to see that it is really gone.
 */
export function judgeRemovals(
  root: string,
  files: readonly MissingFile[],
): RemovalVerdicts {
  const verdicts: RemovalVerdicts = { gone: [], unmounted: [], present: [] };
  const base = root.length > 1 && root.endsWith("/") ? root.slice(0, -1) : root;
  const abs = (relPath: string): string =>
    relPath === "" ? base : `${base}/${relPath}`;
  /** A directory's device, or null where no directory is (vanished, or a file now). */
  const dirDevs = new Map<string, bigint | null>();
  const dirDev = (relDir: string): bigint | null => {
    let dev = dirDevs.get(relDir);
    if (dev === undefined) {
      dev = null;
      try {
        const stats = lstatSync(abs(relDir), {
          bigint: true,
          throwIfNoEntry: false,
        });
        if (stats?.isDirectory()) dev = stats.dev;
      } catch {
        // ENOTDIR, EACCES...: no directory we can vouch for
      }
      dirDevs.set(relDir, dev);
    }
    return dev;
  };
  for (const file of files) {
    if (isFile(abs(file.relPath))) {
      verdicts.present.push(file.relPath);
      continue;
    }
    // The nearest directory above the file that is still there; the root counts (a vanished root
    // is the caller's to pause on, and its files are not gone either: null never equals a dev).
    let dir = parentOf(file.relPath);
    let dev = dirDev(dir);
    while (dev === null && dir !== "") {
      dir = parentOf(dir);
      dev = dirDev(dir);
    }
    (dev === file.dev ? verdicts.gone : verdicts.unmounted).push(file.relPath);
  }
  return verdicts;
}

function parentOf(relPath: string): string {
  const slash = relPath.lastIndexOf("/");
  return slash < 0 ? "" : relPath.slice(0, slash);
}

/** Whether a regular file is at absPath now (an unreadable path is taken as present: nothing is decided). */
function isFile(absPath: string): boolean {
  try {
    return lstatSync(absPath, { throwIfNoEntry: false })?.isFile() ?? false;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code !== "ENOTDIR" && code !== "ENOENT";
  }
}
