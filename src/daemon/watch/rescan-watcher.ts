import type { WatchBackend, WatchSink } from './folder-watcher.js';
import type { PathFilter } from './path-filter.js';
import { parentDir } from './relative-path.js';
import { TreeWalk } from './tree-walker.js';
import type { WalkEntry } from './tree-walker.js';

export interface RescanWatcherOptions {
  intervalMs: number;
  /** Asked before a diff is trusted: a walk of an unmounted mount point must not read as a mass delete. */
  rootPresent: () => boolean;
}

interface Snapshot {
  /** relPath -> fingerprint of (size, mtimeNs, ino) */
  files: Map<string, number>;
  dirs: Set<string>;
}

/**
 * size, mtime and inode mixed into 53 bits, so 1,000,000 files cost a number each rather than an
 * object; a collision could only hide a change until the file changes again.
 */
function fingerprint(entry: WalkEntry): number {
  const mixed = entry.mtimeNs * 0x9e3779b1n + entry.ino * 0x85ebca6bn + BigInt(entry.size);
  return Number(BigInt.asUintN(53, mixed));
}

/**
 * The fallback when inotify is out of watches (or for file systems without it): walks the folder
 * every intervalMs and diffs against the previous walk. The first walk is the baseline (no events).
 */
export class RescanWatcher implements WatchBackend {
  private snapshot: Snapshot = { files: new Map(), dirs: new Set() };
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly root: string,
    private readonly filter: PathFilter,
    private readonly sink: WatchSink,
    private readonly options: RescanWatcherOptions,
  ) {}

  async start(): Promise<void> {
    const baseline = await this.walk();
    if (baseline === undefined) throw Object.assign(new Error(`cannot read ${this.root}`), { code: 'ENOENT' });
    this.snapshot = baseline.snapshot;
    this.schedule();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
  }

  private schedule(): void {
    if (!this.closed) this.timer = setTimeout(() => void this.rescan(), this.options.intervalMs);
  }

  private async rescan(): Promise<void> {
    try {
      const result = await this.walk();
      if (result !== undefined && !this.closed && this.options.rootPresent()) this.diff(result.snapshot, result.failedDirs);
    } catch (err) {
      this.sink.fail(err);
    } finally {
      this.schedule();
    }
  }

  /** undefined when the root could not be read or the watcher closed meanwhile. */
  private async walk(): Promise<{ snapshot: Snapshot; failedDirs: Set<string> } | undefined> {
    if (!this.options.rootPresent()) return undefined;
    const next: Snapshot = { files: new Map(), dirs: new Set() };
    const walk = new TreeWalk(this.root, this.filter, { onDirectory: (relDir) => next.dirs.add(relDir) });
    for await (const batch of walk) {
      if (this.closed) return undefined;
      for (const entry of batch) next.files.set(entry.relPath, fingerprint(entry));
    }
    if (walk.rootFailed) return undefined;
    return { snapshot: next, failedDirs: new Set(walk.errors().map((error) => error.relPath)) };
  }

  private diff(next: Snapshot, failedDirs: Set<string>): void {
    const previous = this.snapshot;
    for (const [relPath, print] of next.files) {
      if (previous.files.get(relPath) !== print) this.sink.event('changed', relPath);
    }
    const present = (relDir: string): boolean => relDir === '' || next.dirs.has(relDir);
    for (const [relPath, print] of previous.files) {
      if (next.files.has(relPath)) continue;
      if (this.underFailedDir(relPath, failedDirs))
        next.files.set(relPath, print); // unreadable, not gone
      else if (present(parentDir(relPath))) this.sink.event('removed', relPath);
    }
    for (const relDir of previous.dirs) {
      if (next.dirs.has(relDir)) continue;
      if (this.underFailedDir(relDir, failedDirs)) next.dirs.add(relDir);
      else if (present(parentDir(relDir))) this.sink.event('dir-removed', relDir); // the topmost one covers the rest
    }
    this.snapshot = next;
  }

  /** The path itself or a directory above it could not be read this time. */
  private underFailedDir(relPath: string, failedDirs: Set<string>): boolean {
    if (failedDirs.size === 0) return false;
    for (let dir = relPath; ; dir = parentDir(dir)) {
      if (failedDirs.has(dir)) return true;
      if (dir === '') return false;
    }
  }
}
