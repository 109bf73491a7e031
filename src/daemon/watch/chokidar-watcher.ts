import { watch } from 'chokidar';
import type { FSWatcher } from 'chokidar';
import type { Stats } from 'node:fs';
import type { WatchBackend, WatchEvent, WatchSink } from './folder-watcher.js';
import type { PathFilter } from './path-filter.js';
import { relativeTo } from './relative-path.js';
import { watchLimitCode } from './watch-limit.js';

/**
 * chokidar 4: reliable for small folders, but one inotify watch per file and a slow start-up above
 * ~20,000 files. No initial events (the reconcile walk gives the initial state), no symlinks followed,
 * no polling unless asked, no atomic/awaitWriteFinish (settling is the settle tracker's job).
 */
export class ChokidarWatcher implements WatchBackend {
  private watcher: FSWatcher | undefined;

  constructor(
    private readonly root: string,
    private readonly filter: PathFilter,
    private readonly sink: WatchSink,
  ) {}

  async start(): Promise<void> {
    const watcher = watch(this.root, {
      ignoreInitial: true,
      followSymlinks: false,
      usePolling: false,
      atomic: false,
      awaitWriteFinish: false,
      ignorePermissionErrors: true,
      ignored: (path: string, stats?: Stats) => this.ignored(path, stats),
    });
    this.watcher = watcher;
    // A watch limit hit while the tree is being watched leaves it half-watched: fail the start.
    let ready = false;
    let startFailure: unknown;
    watcher.on('error', (error: unknown) => {
      if (this.watcher !== watcher) return;
      if (!ready && watchLimitCode(error) !== undefined) startFailure ??= error;
      else this.sink.fail(error);
    });
    await new Promise<void>((resolve) => watcher.once('ready', resolve));
    ready = true;
    if (startFailure !== undefined) {
      await this.close();
      throw startFailure;
    }
    watcher.on('add', (path) => this.file('changed', path));
    watcher.on('change', (path) => this.file('changed', path));
    watcher.on('unlink', (path) => this.file('removed', path));
    watcher.on('unlinkDir', (path) => {
      const relPath = relativeTo(this.root, path);
      if (relPath !== undefined) this.sink.event('dir-removed', relPath);
    });
  }

  async close(): Promise<void> {
    const watcher = this.watcher;
    this.watcher = undefined;
    await watcher?.close();
  }

  private file(kind: WatchEvent['kind'], path: string): void {
    const relPath = relativeTo(this.root, path);
    if (relPath !== undefined && relPath !== '' && this.filter.acceptsFile(relPath, path)) this.sink.event(kind, relPath);
  }

  /** Without stats chokidar may be asking about a directory: then only exclude globs can apply. */
  private ignored(path: string, stats?: Stats): boolean {
    const relPath = relativeTo(this.root, path);
    if (relPath === undefined || relPath === '') return false;
    if (stats?.isFile()) return !this.filter.acceptsFileInAcceptedDir(relPath, path);
    return !this.filter.acceptsDir(relPath);
  }
}
