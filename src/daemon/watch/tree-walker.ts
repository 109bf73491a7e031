import { isUtf8 } from 'node:buffer';
import { lstatSync, opendirSync, readdirSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { BigIntStats, Dir, Dirent } from 'node:fs';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Fingerprint } from '../../store/index.js';
import type { PathFilter } from './path-filter.js';

/** A regular file as found on disk: the store's file fingerprint, and where it is. */
export interface WalkEntry extends Fingerprint {
  relPath: string;
}

export interface WalkError {
  /** '' for the folder root itself. */
  relPath: string;
  code: string;
  message: string;
}

export interface WalkOptions {
  /** Called for every directory walked (pruned ones excluded), the starting one excluded. */
  onDirectory?: (relDir: string) => void;
  /** Walk only this subdirectory (relative paths stay relative to the root); default the root. */
  under?: string;
}

interface OpenDir {
  dir: Dir;
  relDir: string;
  /** Absolute, without a trailing slash. */
  absDir: string;
  /** undecodableNamesIn(absDir), read once a name with U+FFFD shows up in it. */
  undecodable?: Map<string, Buffer[]>;
}

/** Entries per yielded batch, and directory entries read between turns of the event loop. */
const BATCH_SIZE = 1_000;

/** Errors kept in `errors` (by this walk and FindWalk); the rest are only counted. */
export const MAX_ERRORS = 1_000;

/** readdir batches this many entries per system call; small enough that huge flat folders stay cheap. */
const DIR_BUFFER_SIZE = 512;

/**
 * A name that is not UTF-8 reaches a watcher with U+FFFD in place of its bad bytes: Node cannot open
 * it, so it cannot be backed up, and it is reported rather than skipped. A name may hold U+FFFD for
 * real: walks read names as bytes to tell them apart; watchers, handed strings, can only guess.
 */
export function mayBeUndecodable(relPath: string): boolean {
  return relPath.includes('\uFFFD');
}

/**
 * Whether absPath's directory holds a name that is not UTF-8 but decodes to absPath's name: a
 * watcher's path with U+FFFD that lstat finds may be that other file's, which lstat cannot reach.
 */
export function hasUndecodableTwin(absPath: string): boolean {
  return undecodableNamesIn(dirname(absPath)).has(basename(absPath));
}

/** The names of absDir that are not UTF-8, as bytes, by the name they decode to (U+FFFD for their bad bytes). */
function undecodableNamesIn(absDir: string): Map<string, Buffer[]> {
  const byName = new Map<string, Buffer[]>();
  try {
    for (const bytes of readdirSync(absDir, { encoding: 'buffer' })) {
      if (isUtf8(bytes)) continue;
      const name = bytes.toString('utf8');
      byName.set(name, [...(byName.get(name) ?? []), bytes]);
    }
  } catch {
    // gone or unreadable: the next reconcile walk tells
  }
  return byName;
}

/** The error for a name that is not UTF-8 (or may not be, and lstat did not find it): not removed, unopenable. */
export function undecodableName(relPath: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`file name is not valid UTF-8; it cannot be backed up (rename it): ${relPath}`), { code: 'EILSEQ' });
}

/** lstat, or undefined where nothing is or it cannot be read (EACCES on the way, ELOOP, ENOTDIR...). */
export function lstatOrUndefined(path: string): BigIntStats | undefined {
  try {
    return lstatSync(path, { bigint: true, throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}

function codeOf(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? 'UNKNOWN';
}

/**
 * The start-up and scheduled reconcile walk. Iterative (an explicit stack of directories), synchronous
 * system calls (Promise-per-entry walks are several times slower and bigger), no symlinks followed
 * (they are skipped, so loops cannot hang it), excluded directories pruned, per-entry errors collected
 * rather than thrown. Yields files in batches and gives the event loop a turn between batches.
 */
export class TreeWalk implements AsyncIterable<WalkEntry[]> {
  /** What could not be read (EACCES...), the first MAX_ERRORS of `errorCount`. */
  readonly errors: WalkError[] = [];
  errorCount = 0;
  /** Directories walked (countTree). */
  dirCount = 0;
  /** The root (or `under`) could not be read: the walk saw nothing, which says nothing about the files. */
  rootFailed = false;
  /** The root without a trailing slash ('' for '/'), so that paths are built by concatenation. */
  private readonly base: string;
  private readonly start: string;
  /** Directories still to read, relative; depth first. */
  private readonly stack: string[];
  private open: OpenDir | undefined;

  constructor(
    root: string,
    private readonly filter: PathFilter,
    private readonly options: WalkOptions = {},
  ) {
    this.base = root.endsWith('/') ? root.slice(0, -1) : root;
    this.start = options.under ?? '';
    this.stack = [this.start];
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<WalkEntry[]> {
    let batch: WalkEntry[] = [];
    const onFile = (relPath: string, absPath: string): void => {
      const entry = this.statFile(relPath, absPath);
      if (entry !== undefined) batch.push(entry);
    };
    try {
      for (let more = true; more;) {
        more = this.step(BATCH_SIZE - batch.length, onFile);
        if (batch.length >= BATCH_SIZE || (!more && batch.length > 0)) {
          yield batch;
          batch = [];
        }
        await nextTurn(); // at most BATCH_SIZE entries between turns, even when all are excluded
      }
    } finally {
      this.closeOpen();
    }
  }

  /** Hands accepted files' relative paths to onFile, by readdir alone, no stat (synchronous: for small subtrees and counting). */
  forEachFilePath(onFile: (relPath: string) => void): void {
    try {
      for (let more = true; more;) more = this.step(BATCH_SIZE, onFile);
    } finally {
      this.closeOpen();
    }
  }

  /**
   * Reads up to `budget` directory entries, handing accepted files to onFile and queueing accepted
   * directories; false once every directory has been read.
   */
  private step(budget: number, onFile: (relPath: string, absPath: string) => void): boolean {
    for (let read = 0; read < budget;) {
      const open = this.open ?? this.openNext();
      if (open === undefined) return false;
      const dirent = this.read(open);
      if (dirent === null) {
        this.closeOpen();
        continue;
      }
      read++;
      const name = dirent.name;
      const relPath = open.relDir === '' ? name : `${open.relDir}/${name}`;
      const absPath = `${open.absDir}/${name}`;
      // A name that is not UTF-8 decodes to U+FFFD like a real U+FFFD, and by its decoded name lstat
      // would find that other file (or nothing). Only then are the directory's names read as bytes:
      // of the entries a decoded name stands for, as many as there are undecodable names are
      // reported, the others walked, their kind asked of lstat (the dirent may be a twin's).
      let twins: Buffer[] | undefined;
      if (name.includes('\uFFFD')) {
        open.undecodable ??= undecodableNamesIn(open.absDir);
        twins = open.undecodable.get(name);
        const bytes = twins?.shift();
        if (bytes !== undefined) {
          this.undecodable(relPath, name, open.absDir, bytes);
          continue;
        }
      }
      const kind = this.kindOf(twins === undefined ? dirent : undefined, relPath, absPath);
      if (kind === 'dir') {
        if (!this.filter.acceptsDir(relPath)) continue;
        this.dirCount++;
        this.options.onDirectory?.(relPath);
        this.stack.push(relPath);
      } else if (kind === 'file' && this.filter.acceptsFileInAcceptedDir(relPath, absPath, name)) {
        onFile(relPath, absPath);
      }
    }
    return true;
  }

  /**
   * A file or directory whose name is not UTF-8 (relPath holds it decoded, U+FFFD for the bad
   * bytes): Node cannot open it by name, so it is reported, unless the filter excludes it.
   */
  private undecodable(relPath: string, name: string, absDir: string, bytes: Buffer): void {
    const kind = this.kindOf(undefined, relPath, Buffer.concat([Buffer.from(`${absDir}/`), bytes]));
    const accepted =
      kind === 'dir'
        ? this.filter.acceptsDir(relPath)
        : kind === 'file' && this.filter.acceptsFileInAcceptedDir(relPath, `${absDir}/${name}`, name);
    if (accepted) this.recordError(relPath, undecodableName(relPath));
  }

  private openNext(): OpenDir | undefined {
    for (let relDir = this.stack.pop(); relDir !== undefined; relDir = this.stack.pop()) {
      const absDir = relDir === '' ? this.base : `${this.base}/${relDir}`;
      try {
        this.open = { dir: opendirSync(absDir === '' ? '/' : absDir, { bufferSize: DIR_BUFFER_SIZE }), relDir, absDir };
        return this.open;
      } catch (err) {
        if (relDir === this.start) this.rootFailed = true;
        if (codeOf(err) === 'ENOENT' && relDir !== this.start) continue; // removed meanwhile
        this.recordError(relDir, err);
      }
    }
    return undefined;
  }

  private read(open: OpenDir): Dirent | null {
    try {
      return open.dir.readSync();
    } catch (err) {
      this.recordError(open.relDir, err);
      return null;
    }
  }

  private closeOpen(): void {
    this.open?.dir.closeSync();
    this.open = undefined;
  }

  private statFile(relPath: string, absPath: string): WalkEntry | undefined {
    try {
      const stats = lstatSync(absPath, { bigint: true, throwIfNoEntry: false });
      if (stats === undefined || !stats.isFile()) return undefined; // vanished or replaced meanwhile
      return { relPath, size: Number(stats.size), mtimeNs: stats.mtimeNs, ino: stats.ino, dev: stats.dev };
    } catch (err) {
      this.recordError(relPath, err);
      return undefined;
    }
  }

  /** Symlinks, sockets and devices are skipped; some file systems report no type (nor a dirent we cannot trust), so ask lstat. */
  private kindOf(dirent: Dirent | undefined, relPath: string, absPath: string | Buffer): 'file' | 'dir' | 'other' {
    if (dirent?.isFile()) return 'file';
    if (dirent?.isDirectory()) return 'dir';
    if (dirent?.isSymbolicLink() || dirent?.isFIFO() || dirent?.isSocket()) return 'other';
    if (dirent?.isBlockDevice() || dirent?.isCharacterDevice()) return 'other';
    try {
      const stats = lstatSync(absPath, { throwIfNoEntry: false });
      return stats?.isFile() ? 'file' : stats?.isDirectory() ? 'dir' : 'other';
    } catch (err) {
      this.recordError(relPath, err);
      return 'other';
    }
  }

  private recordError(relPath: string, err: unknown): void {
    this.errorCount++;
    if (this.errors.length < MAX_ERRORS) this.errors.push({ relPath, code: codeOf(err), message: (err as Error).message });
  }
}

/** Accepted files and directories under root, by readdir alone (no per-file stat). */
export function countTree(root: string, filter: PathFilter, options?: WalkOptions): { files: number; dirs: number; rootFailed: boolean } {
  const walk = new TreeWalk(root, filter, options);
  let files = 0;
  walk.forEachFilePath(() => files++);
  return { files, dirs: walk.dirCount, rootFailed: walk.rootFailed };
}
