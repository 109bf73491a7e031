import type { FolderWatcher, WatchEvent } from '../../src/daemon/watch/folder-watcher.js';

/** Everything a watcher said, for assertions: the batches, and every event per path. */
export class EventLog {
  readonly batches: WatchEvent[][] = [];
  readonly health: string[] = [];
  readonly errors: Error[] = [];

  constructor(watcher: FolderWatcher) {
    watcher.on('batch', (events) => this.batches.push(events));
    watcher.on('error', (error) => this.errors.push(error));
    watcher.on('ready', (backend) => this.health.push(`ready:${backend}`));
    watcher.on('degraded', (message) => this.health.push(`degraded:${message}`));
    watcher.on('root-missing', () => this.health.push('root-missing'));
    watcher.on('root-restored', () => this.health.push('root-restored'));
  }

  get events(): WatchEvent[] {
    return this.batches.flat();
  }

  /** Every kind reported for relPath, oldest first. */
  kinds(relPath: string): WatchEvent['kind'][] {
    return this.events.filter((event) => event.relPath === relPath).map((event) => event.kind);
  }

  saw(relPath: string, kind: WatchEvent['kind']): boolean {
    return this.kinds(relPath).includes(kind);
  }

  /** Paths whose latest event is `changed`. */
  changedPaths(): Set<string> {
    const latest = new Map<string, WatchEvent['kind']>();
    for (const event of this.events) latest.set(event.relPath, event.kind);
    return new Set([...latest].filter(([, kind]) => kind === 'changed').map(([relPath]) => relPath));
  }

  count(relPath: string): number {
    return this.kinds(relPath).length;
  }
}
