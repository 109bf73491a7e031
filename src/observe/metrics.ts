/**
 * /metrics: Prometheus text from prom-client, on a registry of our own (never the global one, so
 * tests and a second daemon in one process do not collide). Gauges are filled from LiveState's
 * latest sample when scraped, so their values are the ones `oss-sync status --json` shows.
 */
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { LiveState } from './live-state.js';

const FILE_STATES = ['queued', 'uploading', 'verified', 'failed', 'retrying', 'deleting'] as const;
const WATCH_MODES = ['watching', 'rescanning', 'paused'] as const;

export function createMetrics(live: LiveState): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'oss_sync_' });
  const snap = (): LiveState['snapshot'] => live.snapshot;

  new Gauge({
    name: 'oss_sync_files',
    help: 'Files in the queue by state and folder (retrying: queued files waiting after a failure).',
    labelNames: ['folder', 'state'],
    registers: [registry],
    collect() {
      this.reset();
      for (const f of snap().folders) for (const state of FILE_STATES) this.set({ folder: f.folder, state }, f[state]);
    },
  });
  new Gauge({
    name: 'oss_sync_last_cleanup_timestamp_seconds',
    help: 'When run last aborted stale multipart uploads (cleanup_schedule), Unix time; 0 before the first.',
    registers: [registry],
    collect() {
      this.reset();
      const at = live.lastCleanupAt();
      if (at !== undefined) this.set(Math.floor(at / 1000));
    },
  });
  new Gauge({
    name: 'oss_sync_bandwidth_limit_bytes_per_second',
    help: "The timetable's upload limit over all request bodies now; 0 = unlimited.",
    registers: [registry],
    collect() {
      this.set(live.timetable().limit ?? 0);
    },
  });
  new Gauge({
    name: 'oss_sync_upload_window_open',
    help: '1 while the timetable lets uploads start, 0 outside its upload windows.',
    registers: [registry],
    collect() {
      this.set(live.timetable().open ? 1 : 0);
    },
  });
  new Gauge({
    name: 'oss_sync_last_verify_timestamp_seconds',
    help: 'When `oss-sync verify` last found every folder in order, Unix time; 0 before the first.',
    registers: [registry],
    collect() {
      this.reset();
      const at = live.lastVerifiedAt();
      if (at !== null) this.set(Math.floor(at / 1000));
    },
  });
  new Gauge({
    name: 'oss_sync_credentials_expiry_timestamp_seconds',
    help: 'When the current credentials expire (Unix time); absent for credentials that never expire.',
    labelNames: ['provider'],
    registers: [registry],
    collect() {
      this.reset();
      const state = live.credentials();
      if (state?.expiresAt !== undefined) this.set({ provider: state.kind }, Math.floor(state.expiresAt / 1000));
    },
  });
  new Gauge({
    name: 'oss_sync_queued_bytes',
    help: 'Bytes still to send per folder: queued files whole, uploading ones less what the server acknowledged.',
    labelNames: ['folder'],
    registers: [registry],
    collect() {
      this.reset();
      for (const f of snap().folders) this.set({ folder: f.folder }, f.queuedBytes);
    },
  });
  new Gauge({
    name: 'oss_sync_uploaded_bytes',
    help: 'Bytes of the files uploaded and verified, per folder (as status shows them).',
    labelNames: ['folder'],
    registers: [registry],
    collect() {
      this.reset();
      for (const f of snap().folders) this.set({ folder: f.folder }, f.verifiedBytes);
    },
  });
  new Gauge({
    name: 'oss_sync_uploaded_objects',
    help: 'Files uploaded and verified, per folder.',
    labelNames: ['folder'],
    registers: [registry],
    collect() {
      this.reset();
      for (const f of snap().folders) this.set({ folder: f.folder }, f.verified);
    },
  });
  new Counter({
    name: 'oss_sync_sent_bytes_total',
    help: 'Bytes the server acknowledged since the daemon started (sampled every 2 s).',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(live.sentBytes);
    },
  });
  new Gauge({
    name: 'oss_sync_throughput_bytes_per_second',
    help: 'Upload rate over the last minute.',
    registers: [registry],
    collect() {
      const recent = live.history.slice(-30);
      this.set(recent.length === 0 ? 0 : Math.round(recent.reduce((n, s) => n + s.bytesPerSecond, 0) / recent.length));
    },
  });
  new Counter({
    name: 'oss_sync_request_retries_total',
    help: 'Storage requests that failed and were tried again, by operation (UploadPart: part retries).',
    labelNames: ['operation'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [operation, n] of live.retriesByOperation) this.inc({ operation }, n);
    },
  });
  new Counter({
    name: 'oss_sync_errors_total',
    help: 'Errors by code (OSS error code, errno, or HTTPnnn): failed requests, folder pauses, state database failures.',
    labelNames: ['code'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [code, n] of live.errorsByCode) this.inc({ code }, n);
    },
  });
  new Gauge({
    name: 'oss_sync_oldest_queued_seconds',
    help: 'Age of the longest-waiting queued file; 0 when none is queued.',
    registers: [registry],
    collect() {
      this.set(live.oldestQueuedAt === null ? 0 : Math.max(0, (Date.now() - live.oldestQueuedAt) / 1000));
    },
  });
  new Gauge({
    name: 'oss_sync_last_reconcile_timestamp_seconds',
    help: 'When each folder last finished a reconcile walk without error (absent: not since start).',
    labelNames: ['folder'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [folder, at] of live.lastReconcileAt) this.set({ folder }, at / 1000);
    },
  });
  new Gauge({
    name: 'oss_sync_watcher_mode',
    help: 'How each folder is watched: 1 for its current mode (watching, rescanning after a watch limit, paused).',
    labelNames: ['folder', 'mode'],
    registers: [registry],
    collect() {
      this.reset();
      for (const f of snap().folders) {
        if (!f.inConfig || f.mode === null) continue;
        for (const mode of WATCH_MODES) this.set({ folder: f.folder, mode }, f.mode === mode ? 1 : 0);
      }
    },
  });
  new Gauge({
    name: 'oss_sync_folder_paused',
    help: 'Folders not being synced (missing root, an error every upload would hit, or an operator): 1.',
    labelNames: ['folder'],
    registers: [registry],
    collect() {
      this.reset();
      for (const f of snap().folders) if (f.inConfig) this.set({ folder: f.folder }, live.pausedFolders().has(f.folder) ? 1 : 0);
    },
  });
  new Gauge({
    name: 'oss_sync_state_db_healthy',
    help: '1 while the state database accepts writes, 0 after a failure (the daemon then stops).',
    registers: [registry],
    collect() {
      this.set(snap().database.healthy ? 1 : 0);
    },
  });
  return registry;
}
