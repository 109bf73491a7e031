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
  return (
    name.endsWith('.tmp') ||
    name.endsWith('.part') ||
    name.endsWith('.swp') ||
    name.startsWith('~') ||
    name.startsWith('.#')
  );
}

type Matcher = (relPath: string) => boolean;

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
  return (relPath) => (nameMatcher?.(nameOf(relPath)) ?? false) || (pathMatcher?.(relPath) ?? false);
}

/** Decides which files and directories of one watched folder are backed up. Paths are relative, '/'-separated. */
export class PathFilter {
  private readonly included: Matcher | undefined;
  private readonly excluded: Matcher | undefined;
  private readonly ignoredAbsolute: ReadonlySet<string>;
  private readonly defaultIgnores: boolean;

  constructor(readonly options: PathFilterOptions = {}) {
    this.included = compileGlobs(options.include ?? []);
    this.excluded = compileGlobs(options.exclude ?? []);
    this.ignoredAbsolute = new Set(
      (options.ignoreAbsolute ?? []).flatMap((path) => DB_SIBLING_SUFFIXES.map((suffix) => path + suffix)),
    );
    this.defaultIgnores = options.defaultIgnores ?? true;
  }

  /** The exclude globs as given, for watchers that can prune on their own (a hint: events are filtered again). */
  get excludeGlobs(): readonly string[] {
    return this.options.exclude ?? [];
  }

  /** False when an exclude glob prunes this directory (and so everything under it). */
  acceptsDir(relDir: string): boolean {
    return relDir === '' || !(this.excluded?.(relDir) ?? false);
  }

  /** The file's own rules only: for walkers that already pruned excluded directories. */
  acceptsFileInAcceptedDir(relPath: string, absPath: string): boolean {
    if (this.defaultIgnores && isTempFileName(nameOf(relPath))) return false;
    if (this.ignoredAbsolute.size > 0 && this.ignoredAbsolute.has(absPath)) return false;
    if (this.excluded?.(relPath)) return false;
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
