/**
 * The running daemon's status in the shape of `oss-sync status --json` (StatusSnapshot), read from
 * its own store connection. Unlike `status`, it runs no integrity check (that reads the whole
 * database: too slow every few seconds); the database counts as healthy until a write fails.
 */
import type { StatusSnapshot } from '../cli/status-snapshot.js';
import type { Daemon } from '../daemon/daemon.js';
import type { FolderCounts } from '../store/index.js';

export function liveSnapshot(daemon: Daemon, version: string, now = Date.now()): StatusSnapshot {
  const store = daemon.store;
  const configured = daemon.currentConfig.folders;
  const info = store.daemon.info();
  const health = new Map(store.daemon.folderHealth().map((h) => [h.folder, h]));
  const counts = new Map(store.report.folderCounts().map((c) => [c.folder, c]));
  const names = [...new Set([...configured.map((f) => f.name), ...counts.keys()])];
  const folders = names.map((name) => ({
    ...(counts.get(name) ?? zeroCounts(name)),
    mode: health.get(name)?.mode ?? null,
    note: health.get(name)?.note ?? null,
    path: configured.find((f) => f.name === name)?.path ?? health.get(name)?.root ?? null,
    inConfig: configured.some((f) => f.name === name),
  }));
  const uploading = store.report.inFlight().map((f) => {
    const elapsed = f.startedAt ? (now - f.startedAt) / 1000 : 0;
    return {
      ...f,
      percent: f.size > 0 ? Math.min(100, Math.round((f.bytesDone / f.size) * 1000) / 10) : 100,
      bytesPerSecond: elapsed > 0.5 ? Math.round(f.bytesDone / elapsed) : null,
    };
  });
  const sum = (pick: (c: FolderCounts) => number): number => folders.reduce((n, c) => n + (c.inConfig ? (pick(c) ?? 0) : 0), 0);
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
    folders,
    uploading,
    problems: store.report.problems(),
    totals: {
      queued: sum((c) => c.queued),
      uploading: sum((c) => c.uploading),
      uploaded: sum((c) => c.verified),
      failed: sum((c) => c.failed),
      retrying: sum((c) => c.retrying),
      deleting: sum((c) => c.deleting),
      queuedBytes: sum((c) => c.queuedBytes),
      uploadedBytes: sum((c) => c.verifiedBytes),
    },
  };
}

function zeroCounts(folder: string): FolderCounts {
  return { folder, queued: 0, uploading: 0, verified: 0, failed: 0, deleting: 0, retrying: 0, queuedBytes: 0, verifiedBytes: 0 };
}
