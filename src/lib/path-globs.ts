/**
 * Globs over a watched folder's relative paths, and the temp-file names every folder ignores: one
 * definition for the config (its default `ignore` list, its warnings), the watchers and the walks.
 */
import picomatch from 'picomatch';

/** Editors' swap and lock files and downloads in progress, by the end or the start of their name. */
const TEMP_SUFFIXES = ['.tmp', '.part', '.swp'] as const;
const TEMP_PREFIXES = ['~', '.#'] as const;

/** The temp-file names as globs: the config's default `ignore` list. isTempFileName() says the same. */
export const TEMP_FILE_GLOBS: readonly string[] = Object.freeze([
  ...TEMP_SUFFIXES.map((suffix) => `*${suffix}`),
  ...TEMP_PREFIXES.map((prefix) => `${prefix}*`),
]);

/** A basename TEMP_FILE_GLOBS matches, by string tests: a 1,000,000-file walk asks for every file. */
export function isTempFileName(name: string): boolean {
  return TEMP_SUFFIXES.some((suffix) => name.endsWith(suffix)) || TEMP_PREFIXES.some((prefix) => name.startsWith(prefix));
}

/** Tests a '/'-separated relative path; `name`, its last segment, when the caller has it already. */
export type PathMatcher = (relPath: string, name?: string) => boolean;

/** The last path segment ('/'-separated relative paths; cheaper than path.basename in a 1,000,000-file walk). */
export function nameOf(relPath: string): string {
  return relPath.slice(relPath.lastIndexOf('/') + 1);
}

/**
 * Globs are relative to the folder root with '/' separators and match dot files. A pattern without
 * a '/' matches the basename at any depth (as in .gitignore: `*.jpg`, `node_modules`); one with a '/'
 * matches the whole relative path (`docs/*.md`, `build/**`). picomatch's own basename option stops
 * globs with a '/' from matching, so they are split by hand. Undefined for no globs.
 */
export function compileGlobs(patterns: readonly string[]): PathMatcher | undefined {
  if (patterns.length === 0) return undefined;
  const byName = patterns.filter((p) => !p.includes('/'));
  const byPath = patterns.filter((p) => p.includes('/'));
  const nameMatcher = byName.length > 0 ? picomatch(byName, { dot: true }) : undefined;
  const pathMatcher = byPath.length > 0 ? picomatch(byPath, { dot: true }) : undefined;
  return (relPath, name = nameOf(relPath)) => (nameMatcher?.(name) ?? false) || (pathMatcher?.(relPath) ?? false);
}
