import type { BigIntStats } from 'node:fs';
import { closeSync, constants, existsSync, fstatSync, lstatSync, openSync } from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';
import { failpointValue } from '../lib/failpoint.js';
import { FileGoneError, FileRefusedError, FileReplacedError, localFileError, PermanentError } from './errors.js';
import type { FileFingerprint } from './journal.js';

/** A file's identity on disk: what the walk recorded, or what an upload first opened. */
export interface FileIdentity {
  dev: bigint;
  ino: bigint;
}

/**
 * A file to read for an upload, with what keeps the read inside its watched folder.
 *
 * Invariant (rule: nothing outside a watched folder is ever read): every descriptor the uploader
 * reads a file through comes from openFolderFile(), which follows no link below `root`, opens
 * nothing but a regular file, and, given `expected`, only that very inode.
 */
export interface FolderFile {
  path: string;
  /**
   * The watched folder's root, a prefix of `path`. The root itself may be a link (it is followed,
   * as the walk's `find -H` does); no component below it may be. Undefined: only the last
   * component is opened without following a link (a caller that knows no folder).
   */
  root?: string;
  /** The file as queued, or as first opened by this upload: any other inode is refused. */
  expected?: FileIdentity;
}

/**
 * The flags every file is opened with. O_NOFOLLOW: a symlink put in the file's place fails the
 * open (ELOOP) instead of leading anywhere. O_NONBLOCK: a FIFO opens at once instead of holding a
 * thread until a writer comes (it is then refused by fstat). O_NOCTTY: a terminal never becomes
 * ours. Reading a regular file ignores O_NONBLOCK.
 */
const FILE_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY;
const DIR_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;

/** Linux's /proc/self/fd/N/name: what openat(N, name) would open, which Node does not offer. */
export const PROC_FD = process.platform === 'linux' && existsSync('/proc/self/fd');

/**
 * Opens `file` for reading, synchronously (a few system calls of microseconds: see snapshotFile),
 * and returns the descriptor (the caller closes it) with its fstat. Throws FileGoneError (missing),
 * FileRefusedError (a link, FIFO, device or directory where the file or a directory of its path
 * should be), FileReplacedError (another inode than `expected`), or localFileError()'s types.
 *
 * Why this is sound against a user racing us, who can write in the folder but not read the target:
 * - the directories below the root are opened one at a time, each relative to the descriptor of
 *   the one above (/proc/self/fd/N/name, as openat(2) would) with O_NOFOLLOW | O_DIRECTORY: each
 *   is a real directory at the moment it is opened, and renaming or swapping a path component
 *   afterwards changes nothing, as the next step starts from the descriptor, not from the path;
 * - the file itself is opened relative to its directory's descriptor with O_NOFOLLOW;
 * - what was opened is judged by fstat of the descriptor, never by a path: a regular file, and
 *   the inode that was queued. So whatever is swapped in, at whatever moment, we either read the
 *   queued regular file of the folder, or refuse before reading a byte.
 * Where /proc is missing (not Linux), the components are lstat'ed before and after the open
 * instead; that leaves a window to an attacker who swaps twice within it, so there the queued
 * identity (`expected`) is the guard that holds.
 */
export function openFolderFile(file: FolderFile, dirs?: DirectoryCache): { fd: number; stats: BigIntStats } {
  injectedFault(file.path);
  // Invariant (see DirectoryCache): a kept directory serves only a file with an identity to check.
  const fd = file.root === undefined ? openLast(file.path) : openBelow(file.root, file.path, file.expected && dirs);
  try {
    const stats = fstatSync(fd, { bigint: true });
    if (!stats.isFile()) throw new FileRefusedError(file.path, `not a regular file (${kindOf(stats)})`);
    const expected = file.expected;
    if (expected !== undefined && (stats.ino !== expected.ino || stats.dev !== expected.dev)) {
      throw new FileReplacedError(file.path, fingerprintFromStats(stats), expected);
    }
    return { fd, stats };
  } catch (err) {
    closeSync(fd);
    throw localFileError(file.path, err);
  }
}

/** The identity in the stat results of a descriptor openFolderFile() opened (a regular file). */
export function fingerprintFromStats(st: BigIntStats): FileFingerprint {
  return { size: Number(st.size), mtimeNs: st.mtimeNs, ino: st.ino, dev: st.dev };
}

/** The components of `path` below `root`; a path not inside root is a caller's mistake. */
function componentsBelow(root: string, path: string): string[] {
  const rel = relative(root, path);
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
    throw new PermanentError(`${path} is not inside its folder ${root}: not read`);
  }
  return rel.split(sep);
}

function openBelow(root: string, path: string, dirs: DirectoryCache | undefined): number {
  const names = componentsBelow(root, path);
  if (!PROC_FD) return openBelowByLstat(root, path, names);
  const parent = names.slice(0, -1);
  const key = `${root}\0${parent.join(sep)}`;
  let dir = dirs?.get(key);
  if (dir === undefined) {
    dir = openDirectory(root, parent, path);
    dirs?.keep(key, dir);
  }
  try {
    const last = names[names.length - 1]!;
    // lstat first: a device or FIFO in the file's place is refused without being opened at all
    // (opening some devices acts: a tape rewinds). fstat after the open judges what was opened.
    const stats = lstatFor(`/proc/self/fd/${dir}/${last}`, path);
    if (stats.isSymbolicLink()) throw new FileRefusedError(path, 'it is a symbolic link');
    if (!stats.isFile()) throw new FileRefusedError(path, `not a regular file (${kindOf(stats)})`);
    return openAt(dir, last, FILE_FLAGS, path, path);
  } finally {
    if (!dirs) closeSync(dir);
  }
}

/** The directory root/names..., each component opened relative to the one above, through no link. */
export function openDirectory(root: string, names: string[], path: string): number {
  let dir: number;
  try {
    dir = openSync(root, constants.O_RDONLY | constants.O_DIRECTORY);
  } catch (err) {
    throw localFileError(path, err);
  }
  let where = root;
  for (const name of names) {
    where = join(where, name);
    const above = dir;
    try {
      dir = openAt(above, name, DIR_FLAGS, path, where);
    } finally {
      closeSync(above);
    }
  }
  return dir;
}

/**
 * The last directory openFolderFile() opened a file in, kept open for the next file of the same
 * directory: a pass over thousands of files (adoption's, a directory's files together) opens each
 * directory once instead of every component for every file. The caller closes it when done.
 *
 * Invariant (the no-link rule holds with it): it serves only files with an `expected` identity.
 * The directory was a real directory below the root, reached through no link, when it was opened;
 * if it was moved or swapped for a link since, a file opened through it is still opened with
 * O_NOFOLLOW, must be a regular file, and is refused unless it is the very inode the walk found
 * inside the folder: the window this keeps open reads nothing the folder did not hold.
 */
export class DirectoryCache {
  private kept: { key: string; fd: number } | undefined;

  get(key: string): number | undefined {
    return this.kept?.key === key ? this.kept.fd : undefined;
  }

  keep(key: string, fd: number): void {
    this.close();
    this.kept = { key, fd };
  }

  close(): void {
    if (this.kept) closeSync(this.kept.fd);
    this.kept = undefined;
  }
}

/** openat(dir, name, flags), with a link where `where` should be refused by name. */
function openAt(dir: number, name: string, flags: number, path: string, where: string): number {
  const at = `/proc/self/fd/${dir}/${name}`;
  try {
    return openSync(at, flags);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    // O_NOFOLLOW fails a link with ELOOP, or with ENOTDIR when O_DIRECTORY is asked too.
    if (code === 'ELOOP' || (code === 'ENOTDIR' && isLink(at))) {
      throw new FileRefusedError(path, where === path ? 'it is a symbolic link' : `${where} is a symbolic link`);
    }
    throw localFileError(path, err);
  }
}

function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

/** Without openat: every directory below the root must be one, not a link, before and after the open. */
function openBelowByLstat(root: string, path: string, names: string[]): number {
  const dirs: string[] = [];
  for (let i = 1; i < names.length; i++) dirs.push(join(root, ...names.slice(0, i)));
  const before = dirs.map((d) => directoryIdentity(d, path));
  const fd = openLast(path);
  try {
    const after = dirs.map((d) => directoryIdentity(d, path));
    if (after.some((a, i) => a.ino !== before[i]!.ino || a.dev !== before[i]!.dev)) {
      throw new FileRefusedError(path, 'a directory on its path was replaced while it was opened');
    }
    return fd;
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

function directoryIdentity(dir: string, path: string): FileIdentity {
  const stats = lstatFor(dir, path);
  if (stats.isSymbolicLink()) throw new FileRefusedError(path, `${dir} is a symbolic link`);
  if (!stats.isDirectory()) throw new FileGoneError(path);
  return { dev: stats.dev, ino: stats.ino };
}

/** lstat of `at`, its failure reported as one reading `path`. */
function lstatFor(at: string, path: string): BigIntStats {
  try {
    return lstatSync(at, { bigint: true });
  } catch (err) {
    throw localFileError(path, err);
  }
}

/** The path opened as is: only its last component is kept from being a link. */
function openLast(path: string): number {
  try {
    return openSync(path, FILE_FLAGS);
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ELOOP') throw new FileRefusedError(path, 'it is a symbolic link');
    throw localFileError(path, err);
  }
}

function kindOf(stats: BigIntStats): string {
  if (stats.isSymbolicLink()) return 'a symbolic link';
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  if (stats.isSocket()) return 'a socket';
  return 'not a file';
}

/** Test failpoint `file-open-errno:CODE`: every open fails with CODE (a real EMFILE would fail the sockets and database too). */
function injectedFault(path: string): void {
  const code = failpointValue('file-open-errno');
  if (code !== undefined)
    throw localFileError(path, Object.assign(new Error(`${code}: injected by failpoint, open '${path}'`), { code, syscall: 'open' }));
}
