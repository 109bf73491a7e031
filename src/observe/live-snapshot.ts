/**
 * The running daemon's status in the shape of `oss-sync status --json` (StatusSnapshot), read from
 * its own store connection. Unlike `status`, it runs no integrity check (that reads the whole
 * database: too slow every few seconds); the database counts as healthy until a write fails.
 */
import { queueView, type StatusSnapshot } from '../cli/status-snapshot.js';
import type { Daemon } from '../daemon/daemon.js';

export function liveSnapshot(daemon: Daemon, version: string, now = Date.now()): StatusSnapshot {
  const store = daemon.store;
  const info = store.daemon.info();
  const failure = daemon.storeFailure;
  return {
    schemaVersion: 1,
    stateDb: store.path,
    database: { exists: true, healthy: failure === undefined, problems: failure ? [failure.message] : [] },
    daemon: {
      running: true,
      pid: info?.pid ?? process.pid,
      startedAt: info ? new Date(info.startedAt).toISOString() : null,
      uptimeSeconds: info ? Math.round((now - info.startedAt) / 1000) : null,
      version: info?.version ?? version,
    },
    ...queueView(store, daemon.currentConfig.folders, true, now),
  };
}
