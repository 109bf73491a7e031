import { dirname } from 'node:path';
import picomatch from 'picomatch';

export interface PathFilterOptions {
  /** Globs a file must match to be backed up (files only; empty or absent = every file). */
  include?: readonly string[];
  /** Globs that exclude a file, or a directory with everything under it. */
  exclude?: readonly string[];
  /** Absolute paths never backed up, e.g. the state DB (its -wal/-shm/-journal siblings are added). */
  ignoreAbsolute?: readonly string[];
  /** Ignore temp and partial files (*.tmp, *.part, *.swp, ~*, .#*); default true. */
  defaultIgnores?: boolean;
}

/** SQLite writes these next to a database; they are as private as the database itself. */
const DB_SIBLING_SUFFIXES = ['', '-wal', '-shm', '-journal'];

/** Temp and partial files by basename: editors' swap and lock files, downloads in progress. */
export function isTempFileName(name: string): boolean {
  return name.endsWith('.tmp') || name.endsWith('.part') || name.endsWith('.swp') || name.startsWith('~') || name.startsWith('.#');
}

/** isTempFileName() as globs: the config lists them as ignores; for files the test above is the same, faster. */
const TEMP_FILE_GLOBS: ReadonlySet<string> = new Set(['*.tmp', '*.part', '*.swp', '~*', '.#*']);

type Matcher = (relPath: string, name?: string) => boolean;

/** The last path segment ('/'-separated relative paths; cheaper than path.basename in a 1,000,000-file walk). */
function nameOf(relPath: string): string {
  return relPath.slice(relPath.lastIndexOf('/') + 1);
}

/**
 * Globs are relative to the folder root with '/' separators and match dot files. A pattern without
 * a '/' matches the basename at any depth (as in .gitignore: `*.jpg`, `node_modules`); one with a '/'
 * matches the whole relative path (`docs/*.md`, `build/**`).
 */
function compileGlobs(patterns: readonly string[]): Matcher | undefined {
  if (patterns.length === 0) return undefined;
  const byName = patterns.filter((p) => !p.includes('/'));
  const byPath = patterns.filter((p) => p.includes('/'));
  const nameMatcher = byName.length > 0 ? picomatch(byName, { dot: true }) : undefined;
  const pathMatcher = byPath.length > 0 ? picomatch(byPath, { dot: true }) : undefined;
  return (relPath, name = nameOf(relPath)) => (nameMatcher?.(name) ?? false) || (pathMatcher?.(relPath) ?? false);
}

/** Decides which files and directories of one watched folder are backed up. Paths are relative, '/'-separated. */
export class PathFilter {
  private readonly included: Matcher | undefined;
  private readonly excluded: Matcher | undefined;
  /** The exclude globs a file must still be tested against once isTempFileName() said no. */
  private readonly excludedFiles: Matcher | undefined;
  private readonly ignoredAbsolute: ReadonlySet<string>;
  /** Their basenames: a cheap first test, so a 1,000,000-file walk hashes few absolute paths. */
  private readonly ignoredNames: ReadonlySet<string>;
  private readonly defaultIgnores: boolean;

  constructor(private readonly options: PathFilterOptions = {}) {
    this.included = compileGlobs(options.include ?? []);
    this.excluded = compileGlobs(options.exclude ?? []);
    this.defaultIgnores = options.defaultIgnores ?? true;
    const fileGlobs = (options.exclude ?? []).filter((g) => !(this.defaultIgnores && TEMP_FILE_GLOBS.has(g)));
    this.excludedFiles = compileGlobs(fileGlobs);
    this.ignoredAbsolute = new Set((options.ignoreAbsolute ?? []).flatMap((path) => DB_SIBLING_SUFFIXES.map((suffix) => path + suffix)));
    this.ignoredNames = new Set([...this.ignoredAbsolute].map(nameOf));
  }

  /** The exclude globs as given, for watchers that can prune on their own (a hint: events are filtered again). */
  get excludeGlobs(): readonly string[] {
    return this.options.exclude ?? [];
  }

  /**
   * The exclude globs worth a watcher's own pruning: those of excludeGlobs that are not the
   * built-in temp-file patterns. Those name files, and @parcel/watcher tests every path of the
   * tree against every glob it is given, which makes its start-up on a big tree many times slower
   * (bench/NOTES.md). Events are filtered again, so a temp file's event costs only its delivery.
   */
  get watcherPruneGlobs(): readonly string[] {
    return this.excludeGlobs.filter((g) => !(this.defaultIgnores && TEMP_FILE_GLOBS.has(g)));
  }

  /** False when an exclude glob prunes this directory (and so everything under it). */
  acceptsDir(relDir: string): boolean {
    return relDir === '' || !(this.excluded?.(relDir) ?? false);
  }

  /** The file's own rules only: for walkers that already pruned excluded directories (and know the name). */
  acceptsFileInAcceptedDir(relPath: string, absPath: string, name = nameOf(relPath)): boolean {
    if (this.defaultIgnores && isTempFileName(name)) return false;
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

export function createPathFilter(options: PathFilterOptions = {}): PathFilter {
  return new PathFilter(options);
}
