import { dirname } from 'node:path';
import type { Config, FolderConfig } from '../../config/index.js';
import { compileGlobs, isTempFileName, nameOf, TEMP_FILE_GLOBS, type PathMatcher } from '../../lib/path-globs.js';

export interface PathFilterOptions {
  /** Globs a file must match to be backed up (files only; empty or absent = every file). */
  include?: readonly string[];
  /** Globs that exclude a file, or a directory with everything under it. */
  exclude?: readonly string[];
  /** Absolute paths never backed up, e.g. the state DB (the files kept beside it are added: STATE_FILE_SUFFIXES). */
  ignoreAbsolute?: readonly string[];
}

/**
 * What lives beside a state database and is as private as it: SQLite's own files, the instance lock
 * (a database too) and the status files `status` reads (credentials, versioning).
 */
const STATE_FILE_SUFFIXES = ['', '-wal', '-shm', '-journal', '.lock', '.lock-journal', '.credentials.json', '.versioning.json'];

/** Decides which files and directories of one watched folder are backed up. Paths are relative, '/'-separated. */
export class PathFilter {
  private readonly included: PathMatcher | undefined;
  private readonly excluded: PathMatcher | undefined;
  /** The exclude globs a file must still be tested against once isTempFileName() said no: watcherPruneGlobs. */
  private readonly excludedFiles: PathMatcher | undefined;
  private readonly ignoredAbsolute: ReadonlySet<string>;
  /** Their basenames: a cheap first test, so a 1,000,000-file walk hashes few absolute paths. */
  private readonly ignoredNames: ReadonlySet<string>;
  /** The exclude globs as given, for walkers that can prune on their own (a hint: paths are filtered again). */
  readonly excludeGlobs: readonly string[];
  /**
   * The exclude globs worth a watcher's own pruning: all but the built-in temp-file patterns. Those
   * name files, and @parcel/watcher tests every path of the tree against every glob it is given,
   * which makes its start-up on a big tree many times slower (bench/NOTES.md). Events are filtered again.
   */
  readonly watcherPruneGlobs: readonly string[];

  constructor(options: PathFilterOptions = {}) {
    this.excludeGlobs = options.exclude ?? [];
    this.included = compileGlobs(options.include ?? []);
    this.excluded = compileGlobs(this.excludeGlobs);
    this.watcherPruneGlobs = this.excludeGlobs.filter((g) => !TEMP_FILE_GLOBS.includes(g));
    this.excludedFiles = compileGlobs(this.watcherPruneGlobs);
    this.ignoredAbsolute = new Set((options.ignoreAbsolute ?? []).flatMap((path) => STATE_FILE_SUFFIXES.map((suffix) => path + suffix)));
    this.ignoredNames = new Set([...this.ignoredAbsolute].map(nameOf));
  }

  /** False when an exclude glob prunes this directory (and so everything under it). */
  acceptsDir(relDir: string): boolean {
    return relDir === '' || !(this.excluded?.(relDir) ?? false);
  }

  /** The file's own rules only: for walkers that already pruned excluded directories (and know the name). */
  acceptsFileInAcceptedDir(relPath: string, absPath: string, name = nameOf(relPath)): boolean {
    if (isTempFileName(name)) return false; // temp and partial files are never backed up
    if (this.ignoredNames.has(name) && this.ignoredAbsolute.has(absPath)) return false;
    if (this.excludedFiles?.(relPath, name)) return false;
    return this.included?.(relPath) ?? true;
  }

  /** Full check for a file reported by a watcher: its own rules and every ancestor directory's. */
  acceptsFile(relPath: string, absPath: string): boolean {
    if (!this.acceptsFileInAcceptedDir(relPath, absPath)) return false;
    if (this.excluded === undefined) return true;
    for (let dir = dirname(relPath); dir !== '.'; dir = dirname(dir)) {
      if (!this.acceptsDir(dir)) return false;
    }
    return true;
  }
}

/** A configured folder's filter: its include and exclude, the config's ignore globs, and never the state database's files. */
export function folderFilter(folder: Pick<FolderConfig, 'include' | 'exclude'>, config: Pick<Config, 'ignore' | 'stateDb'>): PathFilter {
  return new PathFilter({
    include: folder.include,
    exclude: [...folder.exclude, ...config.ignore],
    ignoreAbsolute: [config.stateDb],
  });
}
