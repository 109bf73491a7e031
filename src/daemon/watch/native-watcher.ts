import parcel from '@parcel/watcher';
import type { AsyncSubscription, Event as ParcelEvent } from '@parcel/watcher';
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SingleFlight } from '../../lib/single-flight.js';
import { DirectorySet } from './directory-set.js';
import type { WatchBackend, WatchSink } from './folder-watcher.js';
import type { PathFilter } from './path-filter.js';
import { parentDir, relativeTo } from './relative-path.js';
import { countTree, hasUndecodableTwin, lstatOrUndefined, mayBeUndecodable, TreeWalk } from './tree-walker.js';
import { watchLimitCode } from './watch-limit.js';

/**
 * The ignore option for @parcel/watcher: the filter's prunable excludes in parcel's terms (a
 * slash-less pattern matches at any depth), the path itself and everything under it.
 */
export function parcelIgnores(filter: PathFilter): string[] {
  return filter.watcherPruneGlobs.flatMap((glob) => (glob.includes('/') ? [glob, `${glob}/**`] : [`**/${glob}`, `**/${glob}/**`]));
}

/**
 * @parcel/watcher: one inotify watch per directory, fast start-up. Its gaps, and how they are closed:
 * - it reports a delete without saying file or directory: we keep the directory tree (DirectorySet);
 * - a new directory is watched only after it appears, so files created in it right away can be
 *   missed: we list every new directory ourselves;
 * - it does not watch the subdirectories of a directory that arrives with some (mkdir -p, mv, cp -r,
 *   tar) and loses the watches of a directory moved within the tree (parcel-bundler/watcher#97):
 *   then we re-subscribe, covering the gap with a snapshot (writeSnapshot before, getEventsSince after);
 * - parcel folds what it sees into its tree (and so into that snapshot) before handing it to us, and
 *   unsubscribing drops what it has not handed over yet (up to its 500 ms debounce): after
 *   re-subscribing we list every directory we never heard of (one dropped that way is in neither the
 *   snapshot's diff nor our tree), and ask for a reconcile walk, which compares the whole tree with the queue;
 * - an event under a directory we never heard of means that directory arrived unseen: we list it whole.
 */
export class NativeWatcher implements WatchBackend {
  private readonly dirs = new DirectorySet();
  private readonly ignore: string[];
  private subscription: AsyncSubscription | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;
  /** One refresh at a time; one asked for meanwhile (more directories arrived) runs after it. */
  private readonly refreshes = new SingleFlight(() => this.refresh());
  private closed = false;
  /** Paths of names that are not UTF-8 beside a real U+FFFD twin, already reported (see handle()). */
  private readonly twinsReported = new Set<string>();

  constructor(
    private readonly root: string,
    private readonly filter: PathFilter,
    private readonly sink: WatchSink,
    /** beforeRefresh, a test hook: runs as a refresh begins, before parcel writes its snapshot. */
    private readonly options: { beforeRefresh?: () => void } = {},
  ) {
    this.ignore = parcelIgnores(filter);
  }

  async start(): Promise<void> {
    this.subscription = await this.subscribe();
    countTree(this.root, this.filter, { onDirectory: (relDir) => this.dirs.add(relDir) }); // files are the reconcile walk's business
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.refreshTimer);
    const subscription = this.subscription;
    this.subscription = undefined;
    await subscription?.unsubscribe().catch(() => undefined); // fails once the root is gone
  }

  private readonly onEvents = (err: Error | null, events: ParcelEvent[]): void => {
    if (this.closed) return;
    if (err !== null) this.sink.fail(err);
    for (const event of events) this.handle(event);
  };

  private async subscribe(): Promise<AsyncSubscription> {
    try {
      return await parcel.subscribe(this.root, this.onEvents, { ignore: this.ignore });
    } catch (err) {
      if (this.ignore.length === 0 || watchLimitCode(err) !== undefined) throw err;
      // a glob parcel's regex engine rejects: watch everything, our filter still applies
      this.ignore.length = 0;
      return parcel.subscribe(this.root, this.onEvents, {});
    }
  }

  private handle(event: ParcelEvent): void {
    const relPath = relativeTo(this.root, event.path);
    if (relPath === undefined) return;
    if (relPath === '') {
      if (event.type === 'delete') this.sink.event('dir-removed', '');
      return;
    }
    const stats = event.type === 'delete' ? undefined : lstatOrUndefined(event.path);
    // A name that is not UTF-8 reaches us with U+FFFD and cannot be opened: not a removal; passed on
    // as changed, so that the settle tracker names it instead of it being skipped silently.
    // One that decodes like a real U+FFFD name beside it: lstat found that other file. Only a walk,
    // which reads names as bytes, can tell them apart and name it: ask for one (once per name).
    if (stats !== undefined && mayBeUndecodable(relPath) && !this.twinsReported.has(relPath) && hasUndecodableTwin(event.path)) {
      this.twinsReported.add(relPath);
      this.sink.missed();
    }
    if (stats === undefined && event.type !== 'delete' && mayBeUndecodable(relPath)) this.sink.event('changed', relPath);
    else if (stats === undefined) this.removed(relPath, event.path);
    else if (stats.isDirectory()) this.directoryAppeared(this.topmostUnseen(relPath));
    else {
      const unseen = this.topmostUnseen(parentDir(relPath));
      if (unseen !== undefined)
        this.directoryAppeared(unseen); // lists this file too
      else if (this.filter.acceptsFile(relPath, event.path)) this.sink.event('changed', relPath);
    }
  }

  /** The highest directory on the way to relDir (itself included) that we have never seen. */
  private topmostUnseen(relDir: string): string | undefined {
    let top: string | undefined;
    for (let dir = relDir; dir !== '' && !this.dirs.has(dir); dir = parentDir(dir)) top = dir;
    return top;
  }

  private removed(relPath: string, absPath: string): void {
    if (this.dirs.has(relPath)) {
      this.dirs.removeSubtree(relPath);
      this.sink.event('dir-removed', relPath);
    } else if (this.filter.acceptsFile(relPath, absPath)) {
      this.sink.event('removed', relPath);
    }
  }

  private directoryAppeared(relDir: string | undefined): void {
    if (relDir === undefined || !this.filter.acceptsDir(relDir)) return;
    this.dirs.add(relDir);
    let nested = false;
    const onDirectory = (subdir: string): void => {
      this.dirs.add(subdir);
      nested = true;
    };
    new TreeWalk(this.root, this.filter, { under: relDir, onDirectory }).forEachFilePath((file) => this.sink.event('changed', file));
    if (nested) this.scheduleRefresh();
  }

  /** Lists the directories parcel swallowed with the events it dropped: we never heard of them, so nothing would. */
  private listUnseenDirectories(): void {
    const unseen: string[] = [];
    const onDirectory = (relDir: string): void => {
      if (!this.dirs.has(relDir)) unseen.push(relDir);
    };
    countTree(this.root, this.filter, { onDirectory });
    for (const relDir of unseen) this.directoryAppeared(this.topmostUnseen(relDir));
  }

  private scheduleRefresh(): void {
    if (this.closed) return;
    clearTimeout(this.refreshTimer);
    // 250 ms of quiet after nested directories appeared: one re-subscription for a whole `cp -r`.
    this.refreshTimer = setTimeout(() => void this.refreshes.request(), 250);
  }

  /** A fresh subscription watches every directory; the snapshot reports what changed in between. */
  private async refresh(): Promise<void> {
    if (this.closed) return;
    this.options.beforeRefresh?.();
    const snapshot = join(tmpdir(), `oss-sync-watch-${process.pid}-${randomUUID()}.snapshot`);
    const options = { ignore: this.ignore };
    try {
      await parcel.writeSnapshot(this.root, snapshot, options);
      // parcel shares one directory tree per root: only dropping every subscription makes it crawl again
      await this.subscription?.unsubscribe().catch(() => undefined);
      this.subscription = undefined;
      if (this.closed) return;
      const subscription = await this.subscribe();
      if (this.closed) {
        await subscription.unsubscribe().catch(() => undefined);
        return;
      }
      this.subscription = subscription;
      this.onEvents(null, await parcel.getEventsSince(this.root, snapshot, options));
      if (this.closed) return;
      this.listUnseenDirectories();
      // A file parcel swallowed (written or deleted just before the snapshot) in a directory we knew: only a walk finds it.
      this.sink.missed();
    } catch (err) {
      if (!this.closed) this.sink.fail(err);
    } finally {
      rmSync(snapshot, { force: true });
    }
  }
}
