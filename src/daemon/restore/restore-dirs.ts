import { closeSync, constants, lstatSync, mkdirSync, openSync, realpathSync } from 'node:fs';
import { lstat, mkdir, realpath, statfs } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';
import { isInsideOrSame } from '../../config/index.js';
import { FileRefusedError, openDirectory, PROC_FD } from '../../uploader/index.js';

/**
 * File systems (statfs f_type, linux/magic.h) whose calls this machine's kernel answers from memory
 * (page cache, inode cache): there a direct call costs less than a thread-pool round trip, whose
 * hand-over was most of a small file's file-system cost (bench/NOTES.md). Any other (NFS, SMB,
 * FUSE, or not Linux) may wait on a server per call: its calls go through the pool, where the files
 * in flight overlap their waits instead of stalling every download in turn.
 */
const LOCAL_FILE_SYSTEMS = new Set([
  0xef53, // ext2/3/4
  0x58465342, // xfs
  0x9123683e, // btrfs
  0x01021994, // tmpfs
  0x858458f6, // ramfs
  0xf2f52010, // f2fs
  0x2fc12fc1, // zfs
  0x794c7630, // overlayfs
]);

/** Directories no file holds that keep their descriptor open, for the next file of theirs. */
const IDLE_OPEN = 64;

/** A target's directory, created and found inside the restore directory. */
export interface RestoreDir {
  readonly path: string;
  /** Its file system is local (LOCAL_FILE_SYSTEMS): a small file's calls are made directly. */
  local: boolean;
  /**
   * Another user can change a directory between --to and this one (see privateChain), and
   * /proc/self/fd exists (Linux): its files go through `fd`, never by path.
   */
  guarded: boolean;
  /**
   * The directory itself when guarded, opened through no link from --to: files are created, renamed
   * and removed through /proc/self/fd/<fd>/<name> (inDir), never by a path a swapped component could
   * lead out of --to. Undefined otherwise (then by path, as checked once).
   */
  fd: number | undefined;
  /** Files in flight in it. Invariant: fd is closed only while this is 0. */
  refs: number;
  /** Once checked: --to's real path, and this directory's below it (a symlink inside --to is resolved once, at the check). */
  real?: { to: string; rel: string };
  checked: boolean;
  opening?: Promise<void>;
}

/**
 * The target directories of one restore: each checked once (created, inside --to), and on Linux held
 * open while a file of it is in flight (a user who can write in --to may swap a checked directory,
 * or one above it, for a symlink leading out: a descriptor keeps the inode that was checked).
 * Invariant: at most IDLE_OPEN descriptors of directories no file holds stay open (a restore of
 * 100,000 directories); a closed one is opened again by a new walk from --to, which refuses links.
 */
export class RestoreDirs {
  private readonly known = new Map<string, RestoreDir>();
  /** Held by no file, descriptor open; oldest first (a Set keeps insertion order). */
  private readonly idle = new Set<RestoreDir>();
  /** Per real path below --to: whether only this user or root can change it and every directory above it up to --to. */
  private readonly privateChains = new Map<string, Promise<boolean>>();
  private ended = false;

  constructor(private readonly toDir: string) {}

  /**
   * The target's directory, held until leave(). A RestoreDir, not a promise (no await per file:
   * that was measurable), once it is checked and open.
   */
  enter(target: string): RestoreDir | Promise<RestoreDir> {
    const dir = this.known.get(dirname(target));
    if (dir !== undefined && dir.opening === undefined && dir.checked && (dir.fd !== undefined || !dir.guarded)) {
      this.hold(dir);
      return dir;
    }
    return this.enterOpening(dirname(target));
  }

  leave(dir: RestoreDir): void {
    if (--dir.refs > 0 || dir.fd === undefined) return;
    if (this.ended) return this.closeFd(dir);
    this.idle.add(dir);
    if (this.idle.size <= IDLE_OPEN) return;
    // One added, so at most one over: the one left longest ago goes (a file of it walks again).
    const oldest = this.idle.values().next().value!;
    this.idle.delete(oldest);
    this.closeFd(oldest);
  }

  /** The restore is over (or failed): idle descriptors are closed now, held ones when left. */
  end(): void {
    this.ended = true;
    for (const dir of this.idle) this.closeFd(dir);
    this.idle.clear();
  }

  private hold(dir: RestoreDir): void {
    if (dir.refs++ === 0) this.idle.delete(dir);
  }

  private closeFd(dir: RestoreDir): void {
    closeSync(dir.fd!);
    dir.fd = undefined;
  }

  private async enterOpening(path: string): Promise<RestoreDir> {
    let dir = this.known.get(path);
    if (dir === undefined) {
      dir = { path, local: false, guarded: false, fd: undefined, refs: 0, checked: false };
      this.known.set(path, dir);
    }
    this.hold(dir);
    try {
      while (dir.opening) await dir.opening;
      if (!dir.checked || (dir.guarded && dir.fd === undefined)) {
        const opening = this.open(dir);
        dir.opening = opening.finally(() => (dir.opening = undefined));
        dir.opening.catch(() => undefined); // its waiters get the error; unwaited, it is no unhandled rejection
        await opening;
      }
      return dir;
    } catch (err) {
      this.leave(dir);
      // Checked again by the next file (an error is per file, as before).
      if (!dir.checked && dir.refs === 0) this.known.delete(path);
      throw err;
    }
  }

  private async open(dir: RestoreDir): Promise<void> {
    if (!dir.checked) {
      // --to itself by path (the user named it); below it, on Linux, through no link (makeInside).
      await mkdir(PROC_FD ? this.toDir : dir.path, { recursive: true });
      const realTo = await realpath(this.toDir);
      if (PROC_FD) makeInside(this.toDir, realTo, dir.path);
      const realDir = await realpath(dir.path);
      // By whole segments: a directory named '..config' or '...' is inside, not out.
      if (!isInsideOrSame(realDir, realTo)) throw outside(dir.path, realDir, realTo);
      // Per directory, not per restore: a mount point below --to may hold another file system.
      dir.local = LOCAL_FILE_SYSTEMS.has((await statfs(dir.path)).type);
      dir.real = { to: realTo, rel: relative(realTo, realDir) };
      // A directory no other user can change cannot be swapped under us: its files go by path.
      // The descriptor route costs ~25 us a file (a /proc walk per call: bench/NOTES.md).
      dir.guarded = PROC_FD && !(await this.privateChain(realTo, realDir));
    }
    if (dir.guarded) dir.fd = walk(dir.path, dir.real!);
    dir.checked = true;
  }

  /**
   * Whether only this user (or root) can change `realDir` and every directory above it up to and
   * including `realTo`: owned by either, and writable by neither group nor others (an ACL granting
   * another user write shows in the group bits). Each directory is looked at once per restore.
   */
  private privateChain(realTo: string, realDir: string): Promise<boolean> {
    let known = this.privateChains.get(realDir);
    if (known === undefined) {
      const parent = dirname(realDir);
      const above = realDir === realTo || parent === realDir ? Promise.resolve(true) : this.privateChain(realTo, parent);
      known = above.then(async (ok) => ok && ownedPrivately(await lstat(realDir)));
      this.privateChains.set(realDir, known);
    }
    return known;
  }
}

function ownedPrivately(stats: { uid: number; mode: number }): boolean {
  const euid = process.geteuid?.();
  return euid !== undefined && (stats.uid === euid || stats.uid === 0) && (stats.mode & 0o022) === 0;
}

/** The refusal of a directory whose real path is outside --to, naming both. */
function outside(path: string, realDir: string, realTo: string): Error {
  return new Error(`${path} resolves to ${realDir}, outside the restore directory ${realTo} (a symlink on the way): refused`);
}

/** A directory, never through a link in its last component (ELOOP, or ENOTDIR with O_DIRECTORY). */
const DIR_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;

/**
 * mkdir -p of `path`, a directory below --to. Invariant (no directory is ever made outside --to,
 * whatever another user who can write in it swaps, and when): each component is opened, and made
 * if missing, relative to the descriptor of the one above (/proc/self/fd/N/name, as openat and
 * mkdirat), from --to down; mkdir never follows a final link (EEXIST) and the open has O_NOFOLLOW.
 * A link on the way is followed only to a real path inside --to (followInside). Made with the
 * default mode (umask), as mkdir -p.
 */
function makeInside(toDir: string, realTo: string, path: string): void {
  const rel = relative(toDir, path);
  const names = rel === '' ? [] : rel.split(sep);
  let fd = openSync(realTo, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    for (const [i, name] of names.entries()) {
      const at = `/proc/self/fd/${fd}/${name}`;
      let next: number;
      try {
        next = openOrMake(at) ?? followInside(at, realTo, path, names.slice(i + 1));
      } catch (err) {
        throw naming(err, at, join(toDir, ...names.slice(0, i + 1)));
      }
      closeSync(fd);
      fd = next;
    }
  } finally {
    closeSync(fd);
  }
}

/** The directory at `at`, made first if missing; undefined when a link is there (O_NOFOLLOW fails it). */
function openOrMake(at: string): number | undefined {
  try {
    try {
      return openSync(at, DIR_FLAGS);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    try {
      mkdirSync(at);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err; // made meanwhile, or a link: the open judges
    }
    return openSync(at, DIR_FLAGS);
  } catch (err) {
    let link = false;
    try {
      link = lstatSync(at).isSymbolicLink();
    } catch {
      // not even an lstat: the open's error is the one to report
    }
    if (link) return undefined;
    throw err;
  }
}

/**
 * The directory the link at `at` leads to, only when its real path is inside --to (a symlink the
 * user made inside --to, as mkdir -p by path followed): reached again from --to through no link,
 * so a swap since the realpath is refused too. `rest`: the components still to make below it.
 */
function followInside(at: string, realTo: string, path: string, rest: string[]): number {
  const real = realpathSync.native(at);
  if (!isInsideOrSame(real, realTo)) throw outside(path, join(real, ...rest), realTo);
  return walk(path, { to: realTo, rel: relative(realTo, real) });
}

/** A file system error naming `where`, the path it was about, instead of its /proc/self/fd path. */
function naming(err: unknown, at: string, where: string): unknown {
  if (err instanceof Error) err.message = err.message.replaceAll(at, where);
  return err;
}

/**
 * The directory opened component by component, from --to's descriptor, along the real path found
 * at its check, each with O_NOFOLLOW: a link swapped in anywhere on the way since is refused.
 */
function walk(path: string, real: { to: string; rel: string }): number {
  try {
    return openDirectory(real.to, real.rel === '' ? [] : real.rel.split(sep), path);
  } catch (err) {
    if (err instanceof FileRefusedError) throw new Error(`${path}: ${err.reason}, replaced since it was checked: refused`);
    throw new Error(`cannot open the directory ${path}: ${(err as Error).message}`, { cause: err });
  }
}

/** Where `path` (a name in `dir`) is reached: through the directory's descriptor when it has one. */
export function inDir(dir: RestoreDir | undefined, path: string): string {
  return dir?.fd === undefined ? path : `/proc/self/fd/${dir.fd}/${basename(path)}`;
}

/** The error naming the real directory where it named its /proc/self/fd path (inDir). */
export function namingRealPaths(dir: RestoreDir | undefined, err: unknown): unknown {
  if (dir?.fd === undefined || !(err instanceof Error)) return err;
  err.message = err.message.replaceAll(`/proc/self/fd/${dir.fd}/`, `${dir.path}/`);
  return err;
}
