import { EventEmitter } from 'node:events';
import { EventBatcher } from './event-batcher.js';
import type { BackendName, FolderWatcherEvents, WatchBackend, WatchEvent, WatchSink } from './folder-watcher.js';
import type { PathFilter } from './path-filter.js';
import { reportError } from './report-error.js';
import { RootMonitor } from './root-monitor.js';
import { degradedMessage, simulatedLimitError, watchLimitCode } from './watch-limit.js';
import type { SimulatedLimit } from './watch-limit.js';

export interface SupervisedWatcherOptions {
  backend: BackendName;
  filter: PathFilter;
  /** Events per path are coalesced over this window before a batch goes out; default 75 ms. */
  coalesceMs?: number;
  /** The rescan backend's period, also after a fallback; default 30 s. */
  rescanIntervalMs?: number;
  /** How often the root is checked for having vanished or come back; default 1 s. */
  rootCheckMs?: number;
  /** Test hook: the first chokidar/native backend fails with a watch limit (see SimulatedLimit). */
  simulateLimit?: SimulatedLimit;
}

/**
 * Runs one backend for one folder and keeps the promises every backend shares: coalesced batches,
 * an automatic fallback to rescans when inotify runs out (ENOSPC/EMFILE), and root-missing /
 * root-restored when the folder itself vanishes, is unmounted or is replaced.
 */
export class SupervisedWatcher extends EventEmitter<FolderWatcherEvents> {
  private active: WatchBackend | undefined;
  private running: BackendName;
  /** Why it fell back to rescans, with the fix (for the log and `status`); undefined while it has not. */
  degraded: string | undefined;
  private rootMissing = false;
  private closed = false;
  /** Bumped whenever a backend stops: events from an older one are ignored. */
  private generation = 0;
  private simulateLimit: SimulatedLimit | undefined;
  private readonly batcher: EventBatcher;
  private readonly monitor: RootMonitor;
  private rootTimer: NodeJS.Timeout | undefined;
  /** Backend switches run one at a time, in order. */
  private transitions: Promise<void> = Promise.resolve();
  private rootCheckQueued = false;
  private readonly rescanIntervalMs: number;

  constructor(
    readonly root: string,
    private readonly options: SupervisedWatcherOptions,
  ) {
    super();
    this.running = options.backend;
    this.simulateLimit = options.simulateLimit;
    this.rescanIntervalMs = options.rescanIntervalMs ?? 30_000;
    this.batcher = new EventBatcher((events) => this.deliver(events), options.coalesceMs ?? 75);
    this.monitor = new RootMonitor(root);
  }

  get backend(): BackendName {
    return this.running;
  }

  /** Resolves once watching, or at once when there is no folder yet (root-restored follows once there is). */
  async start(): Promise<void> {
    if (this.monitor.capture()) await this.startBackend(this.running);
    else this.rootMissing = true;
    this.rootTimer = setInterval(() => this.checkRoot(), this.options.rootCheckMs ?? 1_000);
  }

  async close(): Promise<void> {
    clearInterval(this.rootTimer);
    this.batcher.flush();
    this.closed = true;
    await this.serialized(() => this.stopBackend());
  }

  /** chokidar and @parcel/watcher are loaded when first used: `once` and `status` never need them. */
  private async makeBackend(name: BackendName, sink: WatchSink): Promise<WatchBackend> {
    const { filter } = this.options;
    switch (name) {
      case 'chokidar': {
        const { ChokidarWatcher } = await import('./chokidar-watcher.js');
        return new ChokidarWatcher(this.root, filter, sink);
      }
      case 'native': {
        const { NativeWatcher } = await import('./native-watcher.js');
        return new NativeWatcher(this.root, filter, sink);
      }
      case 'rescan': {
        // No events: every rescanIntervalMs the owner is told it may have missed some, and walks the
        // folder against the store (its reconcile walk), which finds what changed, appeared or went.
        let timer: NodeJS.Timeout | undefined;
        return {
          start: async () => {
            timer = setInterval(() => sink.missed(), this.rescanIntervalMs);
          },
          close: async () => clearInterval(timer),
        };
      }
    }
  }

  /** Starts a backend; a watch-limit failure falls back to rescans (and then resolves). */
  private async startBackend(name: BackendName): Promise<void> {
    if (this.closed) return;
    const generation = ++this.generation;
    const sink = this.sinkFor(generation);
    const backend = await this.makeBackend(name, sink);
    // The first chokidar or native backend fails with the simulated limit, through the real error paths.
    const simulated = name === 'rescan' ? undefined : this.simulateLimit;
    if (simulated) this.simulateLimit = undefined;
    try {
      if (simulated?.at === 'start') throw simulatedLimitError(simulated.code, this.root);
      await backend.start();
    } catch (err) {
      await backend.close().catch(() => undefined);
      const code = watchLimitCode(err);
      if (code === undefined || name === 'rescan') throw err;
      return this.fallBack(name, code);
    }
    this.running = name;
    if (this.closed) await backend.close();
    else this.active = backend;
    if (simulated?.at === 'running') setImmediate(() => sink.fail(simulatedLimitError(simulated.code, this.root)));
  }

  private async stopBackend(): Promise<void> {
    this.generation++;
    const backend = this.active;
    this.active = undefined;
    await backend?.close().catch((err: unknown) => reportError(this, err));
  }

  private async fallBack(from: BackendName, code: string): Promise<void> {
    await this.stopBackend();
    this.degraded = degradedMessage(this.root, from, code, this.rescanIntervalMs);
    this.running = 'rescan';
    this.emit('degraded', this.degraded);
    await this.startBackend('rescan');
  }

  private sinkFor(generation: number): WatchSink {
    const current = (): boolean => generation === this.generation && !this.closed;
    return {
      event: (kind: WatchEvent['kind'], relPath: string) => {
        if (!current() || this.rootMissing) return;
        if (relPath === '')
          this.checkRoot(); // the root itself went away
        else this.batcher.push(kind, relPath);
      },
      missed: () => {
        if (!current() || this.rootMissing) return;
        this.batcher.flush(); // what it did see goes first
        this.emit('ready', this.running);
      },
      fail: (error: unknown) => {
        if (!current()) return;
        const code = watchLimitCode(error);
        if (code !== undefined && this.running !== 'rescan') {
          const from = this.running;
          void this.serialized(async () => {
            if (!current()) return;
            await this.fallBack(from, code);
            this.emit('ready', 'rescan');
          });
        } else {
          reportError(this, error);
          this.checkRoot();
        }
      },
    };
  }

  /** Batches go out only while the root is the watched folder: an unmount looks like mass deletes. */
  private deliver(events: WatchEvent[]): void {
    if (this.closed || this.rootMissing) return;
    if (this.monitor.check() !== 'present') {
      this.checkRoot();
      return;
    }
    try {
      this.emit('batch', events);
    } catch (err) {
      reportError(this, err);
    }
  }

  private checkRoot(): void {
    if (this.rootCheckQueued || this.closed) return;
    this.rootCheckQueued = true;
    void this.serialized(async () => {
      this.rootCheckQueued = false;
      if (this.closed) return;
      const state = this.monitor.check();
      if (!this.rootMissing) {
        if (state === 'present') return;
        this.rootMissing = true;
        this.batcher.discard();
        await this.stopBackend();
        this.emit('root-missing', this.root);
        if (state === 'missing') return; // 'replaced' comes straight back below
      }
      if (state === 'missing' || !this.monitor.capture() || this.closed) return;
      await this.startBackend(this.degraded !== undefined ? 'rescan' : this.options.backend);
      this.rootMissing = false;
      this.emit('root-restored', this.root);
      this.emit('ready', this.running);
    });
  }

  private serialized(step: () => Promise<void>): Promise<void> {
    this.transitions = this.transitions.then(step).catch((err: unknown) => reportError(this, err));
    return this.transitions;
  }
}
