import { lstatSync } from 'node:fs';
import type { Fingerprint } from '../store/index.js';
import { parentDir } from './watch/relative-path.js';
import { lstatOrUndefined } from './watch/tree-walker.js';

/** A file some watcher, walk or worker found missing, with the device the store recorded it on. */
export interface MissingFile {
  relPath: string;
  dev: bigint;
}

/** A file recorded on a device, as the store knows it (relPath, size, mtime, inode). */
export type RecordedFile = Pick<Fingerprint, 'size' | 'mtimeNs' | 'ino'> & { relPath: string };

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
 * Device numbers are not stable: a filesystem mounted again may come back under another. So a
 * directory on another device is proven to be the same filesystem renumbered when another file
 * recorded on the old device (`sampleOnDevice`) is still there, the same inode, size and mtime, on
 * the directory's new device: an unmounted filesystem leaves none of its files in view.
 *
 * One lstat per distinct directory (memoised), plus one per file, and one sample per recorded device
 * that differs.
 */
export function judgeRemovals(
  root: string,
  files: readonly MissingFile[],
  sampleOnDevice: (dev: bigint) => RecordedFile[],
): RemovalVerdicts {
  const verdicts: RemovalVerdicts = { gone: [], unmounted: [], present: [] };
  const base = root.length > 1 && root.endsWith('/') ? root.slice(0, -1) : root;
  const abs = (relPath: string): string => (relPath === '' ? base : `${base}/${relPath}`);
  /** A directory's device, or null where no directory is (vanished, or a file now). */
  const dirDev = memoized((relDir: string): bigint | null => {
    const stats = lstatOrUndefined(abs(relDir)); // unreadable: no directory we can vouch for
    return stats?.isDirectory() ? stats.dev : null;
  });
  /** Recorded device -> the devices its files are found on now (other than itself). */
  const nowOn = memoized((dev: bigint): Set<bigint> => {
    const devs = new Set<bigint>();
    for (const recorded of sampleOnDevice(dev)) {
      const now = sameFileNow(abs(recorded.relPath), recorded);
      if (now !== undefined && now !== dev) devs.add(now);
    }
    return devs;
  });
  /** Whether every directory from the root down to relDir is a real directory, no link among them. */
  const isRealDir: (relDir: string) => boolean = memoized(
    (relDir: string) => relDir === '' || (isRealDir(parentDir(relDir)) && dirDev(relDir) !== null),
  );
  for (const file of files) {
    // lstat follows links in the path's directories: a file reached through a directory swapped for
    // a link is not in the folder (and would never be read), so it does not count as present.
    if (isRealDir(parentDir(file.relPath)) && isFile(abs(file.relPath))) {
      verdicts.present.push(file.relPath);
      continue;
    }
    // The nearest directory above the file that is still there; the root counts (a vanished root
    // is the caller's to pause on, and its files are not gone either: null never equals a dev).
    let dir = parentDir(file.relPath);
    let dev = dirDev(dir);
    while (dev === null && dir !== '') {
      dir = parentDir(dir);
      dev = dirDev(dir);
    }
    const onItsDevice = dev !== null && (dev === file.dev || nowOn(file.dev).has(dev));
    (onItsDevice ? verdicts.gone : verdicts.unmounted).push(file.relPath);
  }
  return verdicts;
}

/** `f` with each argument's result kept for the next call with it. */
function memoized<K, V>(f: (key: K) => V): (key: K) => V {
  const results = new Map<K, V>();
  return (key) => {
    if (!results.has(key)) results.set(key, f(key));
    return results.get(key)!;
  };
}

/** Whether a regular file is at absPath now (an unreadable path is taken as present: nothing is decided). */
function isFile(absPath: string): boolean {
  try {
    return lstatSync(absPath, { throwIfNoEntry: false })?.isFile() ?? false;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code !== 'ENOTDIR' && code !== 'ENOENT';
  }
}

/** The device of the file at absPath if it is the recorded one (same inode, size and mtime), else undefined. */
function sameFileNow(absPath: string, recorded: RecordedFile): bigint | undefined {
  const stats = lstatOrUndefined(absPath);
  if (!stats?.isFile()) return undefined;
  const same = stats.ino === recorded.ino && Number(stats.size) === recorded.size && stats.mtimeNs === recorded.mtimeNs;
  return same ? stats.dev : undefined;
}
