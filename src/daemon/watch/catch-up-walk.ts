import { setImmediate as nextTurn } from 'node:timers/promises';
import type { PathFilter } from './path-filter.js';
import { parentDir } from './relative-path.js';
import { lstatOrUndefined, TreeWalk } from './tree-walker.js';

export interface CatchUp {
  /** Files whose ctime or mtime is at or after `sinceMs` (ctime: a file renamed into place keeps its mtime). */
  recentFiles: string[];
  /** The topmost directories `isKnownDir` has never heard of (their parent is known). */
  unknownDirs: string[];
}

/** Files listed between two turns of the event loop. */
const FILES_PER_TURN = 1_000;

/**
 * Lists the tree for what a watcher may have missed since `sinceMs`: recently changed files and
 * directories it never saw. Only by readdir and lstat, a thousand files per event-loop turn, so a big
 * tree delays no upload for long. `stopped()` ends it early (the watcher closed).
 */
export async function catchUpWalk(
  root: string,
  filter: PathFilter,
  options: { sinceMs: number; isKnownDir: (relDir: string) => boolean; stopped: () => boolean },
): Promise<CatchUp> {
  const found: CatchUp = { recentFiles: [], unknownDirs: [] };
  const onDirectory = (relDir: string): void => {
    if (!options.isKnownDir(relDir) && options.isKnownDir(parentDir(relDir))) found.unknownDirs.push(relDir);
  };
  const base = root.endsWith('/') ? root.slice(0, -1) : root;
  let sinceTurn = 0;
  for (const relPath of new TreeWalk(root, filter, { onDirectory }).filePaths()) {
    // Unreadable now: left to the next reconcile walk, which reports it.
    const stats = lstatOrUndefined(`${base}/${relPath}`);
    if (stats && Math.max(Number(stats.ctimeMs), Number(stats.mtimeMs)) >= options.sinceMs) found.recentFiles.push(relPath);
    if (++sinceTurn === FILES_PER_TURN) {
      sinceTurn = 0;
      await nextTurn();
      if (options.stopped()) break; // leaving the loop closes the walk's open directory
    }
  }
  return found;
}
