import { statSync } from 'node:fs';
import type { FolderConfig } from '../config/index.js';
import { readVersioningStatus } from '../daemon/bucket-versioning.js';
import { readCredentialsStatus } from '../daemon/credentials/credentials-status-file.js';
import {
  InstanceLock,
  OPERATOR_PAUSE_NOTE,
  StateStore,
  type FailedFile,
  type FolderCounts,
  type FolderHealth,
  type InFlightFile,
} from '../store/index.js';

/** The folders of the config, as status reads them. */
type ConfiguredFolders = ReadonlyArray<Pick<FolderConfig, 'name' | 'path'>>;

/** Everything `oss-sync status` shows; also its stable --json shape. */
export interface StatusSnapshot {
  /** The version of this shape: a field may be added within it; renamed or removed ones bump it. */
  schemaVersion: 1;
  stateDb: string;
  database: { exists: boolean; healthy: boolean; problems: string[] };
  daemon: { running: boolean; pid: number | null; startedAt: string | null; uptimeSeconds: number | null; version: string | null };
  /** The running daemon's OSS credentials: provider, expiry and last refresh (ISO 8601), never a value; null with no daemon. */
  credentials?: { provider: string; expiresAt: string | null; refreshedAt: string | null; lastError: string | null } | null;
  /** Each bucket's versioning as the running daemon found it at start (Enabled, Suspended, Off, unknown); null with no daemon. */
  versioning?: Record<string, string> | null;
  /** inConfig false: rows of a folder removed from the config, kept for its return; not in totals. */
  folders: Array<FolderCounts & { mode: string | null; note: string | null; path: string | null; inConfig: boolean }>;
  /** With no daemon running these are interrupted uploads (bytesPerSecond null): they resume at the next start. */
  uploading: Array<InFlightFile & { percent: number; bytesPerSecond: number | null }>;
  /** Mirror deletes paused by max_deletes (`oss-sync retry --deletes` lets them go): the first 50 and the count. */
  heldDeletes?: { count: number; first: Array<{ folder: string; relPath: string; reason: string }> };
  /** Parked and retrying files, parked first: at most 50 (totals.failed counts them all). */
  problems: FailedFile[];
  /** Of the configured folders. queuedBytes: still to send (queued files, and what uploading ones have left). */
  totals: Record<'queued' | 'uploading' | 'uploaded' | 'failed' | 'retrying' | 'deleting' | 'queuedBytes' | 'uploadedBytes', number>;
}

/** Reads the state database (safe while the daemon writes it) into a snapshot. */
export function readStatus(stateDb: string, configuredFolders: ConfiguredFolders, now = Date.now()): StatusSnapshot {
  const empty: StatusSnapshot = {
    schemaVersion: 1,
    stateDb,
    database: { exists: false, healthy: false, problems: [] },
    daemon: { running: false, pid: null, startedAt: null, uptimeSeconds: null, version: null },
    credentials: null,
    versioning: null,
    folders: configuredFolders.map((f) => ({ ...zeroCounts(f.name), mode: null, note: null, path: f.path, inConfig: true })),
    uploading: [],
    problems: [],
    totals: { queued: 0, uploading: 0, uploaded: 0, failed: 0, retrying: 0, deleting: 0, queuedBytes: 0, uploadedBytes: 0 },
  };
  if (!databaseExists(stateDb)) return empty;
  const running = InstanceLock.isHeld(stateDb);
  const store = StateStore.openForReading(stateDb);
  try {
    const check = store.integrityCheck();
    const database = { exists: true, healthy: check.length === 1 && check[0] === 'ok', problems: check.filter((c) => c !== 'ok') };
    const daemonFiles = {
      credentials: running ? credentialsOf(stateDb) : null,
      versioning: running ? (readVersioningStatus(stateDb) ?? null) : null,
    };
    return { ...storeSnapshot(store, database, configuredFolders, running, now, daemonFiles), ...heldDeletesOf(store) };
  } finally {
    store.close();
  }
}

/** What `status` and the daemon's page read from an open database: the daemon's registration (while running) and the queue. */
export function storeSnapshot(
  store: StateStore,
  database: StatusSnapshot['database'],
  configuredFolders: ConfiguredFolders,
  running: boolean,
  now: number,
  daemonFiles: Pick<StatusSnapshot, 'credentials' | 'versioning'> = {},
): StatusSnapshot {
  const info = running ? store.daemon.info() : undefined;
  return {
    schemaVersion: 1,
    stateDb: store.path,
    database,
    daemon: {
      running,
      pid: info?.pid ?? null,
      startedAt: info ? new Date(info.startedAt).toISOString() : null,
      uptimeSeconds: info ? Math.round((now - info.startedAt) / 1000) : null,
      version: info?.version ?? null,
    },
    ...daemonFiles,
    ...queueView(store, configuredFolders, running, now),
  };
}

function heldDeletesOf(store: StateStore): Pick<StatusSnapshot, 'heldDeletes'> {
  const count = store.heldDeletes.count();
  if (count === 0) return {};
  return { heldDeletes: { count, first: store.heldDeletes.list(50).map(({ folder, relPath, reason }) => ({ folder, relPath, reason })) } };
}

/**
 * False when there is no database yet. The database is private to the daemon's user (0600 in a 0700
 * folder): for another user it is not "missing", and status says so instead of "does not exist yet".
 */
function databaseExists(stateDb: string): boolean {
  try {
    statSync(stateDb);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return false;
    if (code === 'EACCES') {
      throw new Error(
        `cannot read the state database ${stateDb} as this user (permission denied): it is private to the daemon's user; ` +
          'run status as that user (e.g. with sudo)',
      );
    }
    throw err;
  }
}

/**
 * The queue's part of a snapshot: every configured folder and every folder with rows, the uploads in
 * flight (a rate only while a daemon runs them), the problems, and the totals of the configured folders.
 */
function queueView(
  store: StateStore,
  configuredFolders: ConfiguredFolders,
  running: boolean,
  now: number,
): Pick<StatusSnapshot, 'folders' | 'uploading' | 'problems' | 'totals'> {
  const health = new Map<string, FolderHealth>(running ? store.daemon.folderHealth().map((h) => [h.folder, h]) : []);
  const counts = new Map(store.report.folderCounts().map((c) => [c.folder, c]));
  // Shown with or without a daemon: the pause holds until resumed, across restarts.
  const operatorPaused = store.operatorPauses.folders();
  const names = [...new Set([...configuredFolders.map((f) => f.name), ...counts.keys()])];
  const folders = names.map((name) => ({
    ...(counts.get(name) ?? zeroCounts(name)),
    mode: operatorPaused.has(name) ? 'paused' : (health.get(name)?.mode ?? null),
    note: operatorPaused.has(name) ? OPERATOR_PAUSE_NOTE : (health.get(name)?.note ?? null),
    path: configuredFolders.find((f) => f.name === name)?.path ?? health.get(name)?.root ?? null,
    inConfig: configuredFolders.some((f) => f.name === name),
  }));
  const uploading = store.report.inFlight().map((f) => {
    const elapsed = f.startedAt ? (now - f.startedAt) / 1000 : 0;
    return {
      ...f,
      percent: f.size > 0 ? Math.min(100, Math.round((f.bytesDone / f.size) * 1000) / 10) : 100,
      bytesPerSecond: running && elapsed > 0.5 ? Math.round(f.bytesDone / elapsed) : null,
    };
  });
  const sum = (pick: (c: FolderCounts) => number): number => folders.reduce((n, c) => n + (c.inConfig ? (pick(c) ?? 0) : 0), 0);
  return {
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

function credentialsOf(stateDb: string): StatusSnapshot['credentials'] {
  const state = readCredentialsStatus(stateDb);
  if (!state) return null;
  const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());
  return { provider: state.kind, expiresAt: iso(state.expiresAt), refreshedAt: iso(state.refreshedAt), lastError: state.lastError ?? null };
}
