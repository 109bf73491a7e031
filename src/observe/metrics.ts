/**
 * /metrics: Prometheus text from prom-client, on a registry of our own (never the global one, so
 * tests and a second daemon in one process do not collide). Every value is computed when scraped,
 * from LiveState's latest sample, so the values are the ones `oss-sync status --json` shows.
 */
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { LiveState } from './live-state.js';

const FILE_STATES = ['queued', 'uploading', 'verified', 'failed', 'retrying', 'deleting'] as const;
const WATCH_MODES = ['watching', 'rescanning', 'paused'] as const;

type Samples = Array<[labels: Record<string, string>, value: number]>;

/** One unlabelled sample, or none (the metric is then absent, e.g. before the first cleanup). */
const single = (value: number | undefined): Samples => (value === undefined ? [] : [[{}, value]]);

export function createMetrics(live: LiveState): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'oss_sync_' });
  const { daemon } = live;
  const folders = (): LiveState['snapshot']['folders'] => live.snapshot.folders;
  const configured = (): LiveState['snapshot']['folders'] => folders().filter((f) => f.inConfig);
  // Reset at every scrape: a folder or error code gone since the last one leaves no stale series.
  const metric = (type: 'gauge' | 'counter', name: string, help: string, labelNames: string[], samples: () => Samples): void => {
    const collect = function (this: Gauge | Counter): void {
      this.reset();
      for (const [labels, value] of samples()) {
        if (this instanceof Counter) this.inc(labels, value);
        else this.set(labels, value);
      }
    };
    if (type === 'gauge') new Gauge({ name, help, labelNames, registers: [registry], collect });
    else new Counter({ name, help, labelNames, registers: [registry], collect });
  };
  const gauge = (...args: [string, string, string[], () => Samples]): void => metric('gauge', ...args);
  const counter = (...args: [string, string, string[], () => Samples]): void => metric('counter', ...args);
  const seconds = (ms: number | null | undefined): number | undefined => (ms == null ? undefined : Math.floor(ms / 1000));

  gauge(
    'oss_sync_files',
    'Files in the queue by state and folder (retrying: queued files waiting after a failure).',
    ['folder', 'state'],
    () => folders().flatMap((f) => FILE_STATES.map((state): Samples[number] => [{ folder: f.folder, state }, f[state]])),
  );
  gauge(
    'oss_sync_last_cleanup_timestamp_seconds',
    'When run last aborted stale multipart uploads (cleanup_schedule), Unix time; 0 before the first.',
    [],
    () => single(seconds(daemon.lastCleanupAt)),
  );
  gauge('oss_sync_bandwidth_limit_bytes_per_second', "The timetable's upload limit over all request bodies now; 0 = unlimited.", [], () =>
    single(daemon.bandwidthLimit ?? 0),
  );
  gauge('oss_sync_upload_window_open', '1 while the timetable lets uploads start, 0 outside its upload windows.', [], () =>
    single(daemon.uploadWindowOpen ? 1 : 0),
  );
  gauge(
    'oss_sync_last_verify_timestamp_seconds',
    'When `oss-sync verify` last found every folder in order, Unix time; 0 before the first.',
    [],
    () => single(seconds(daemon.store.report.lastVerifiedAt())),
  );
  gauge(
    'oss_sync_credentials_expiry_timestamp_seconds',
    'When the current credentials expire (Unix time); absent for credentials that never expire.',
    ['provider'],
    () => {
      const state = daemon.credentialsState();
      return state?.expiresAt === undefined ? [] : [[{ provider: state.kind }, Math.floor(state.expiresAt / 1000)]];
    },
  );
  gauge(
    'oss_sync_queued_bytes',
    'Bytes still to send per folder: queued files whole, uploading ones less what the server acknowledged.',
    ['folder'],
    () => folders().map((f) => [{ folder: f.folder }, f.queuedBytes]),
  );
  gauge('oss_sync_uploaded_bytes', 'Bytes of the files uploaded and verified, per folder (as status shows them).', ['folder'], () =>
    folders().map((f) => [{ folder: f.folder }, f.verifiedBytes]),
  );
  gauge('oss_sync_uploaded_objects', 'Files uploaded and verified, per folder.', ['folder'], () =>
    folders().map((f) => [{ folder: f.folder }, f.verified]),
  );
  counter('oss_sync_sent_bytes_total', 'Bytes the server acknowledged since the daemon started (sampled every 2 s).', [], () =>
    single(live.sentBytes),
  );
  gauge('oss_sync_throughput_bytes_per_second', 'Upload rate over the last minute.', [], () => {
    const recent = live.history.slice(-30);
    return single(recent.length === 0 ? 0 : Math.round(recent.reduce((n, s) => n + s.bytesPerSecond, 0) / recent.length));
  });
  counter(
    'oss_sync_request_retries_total',
    'Storage requests that failed and were tried again, by operation (UploadPart: part retries).',
    ['operation'],
    () => [...live.retriesByOperation].map(([operation, n]) => [{ operation }, n]),
  );
  counter(
    'oss_sync_errors_total',
    'Errors by code (OSS error code, errno, or HTTPnnn): failed requests, folder pauses, state database failures.',
    ['code'],
    () => [...live.errorsByCode].map(([code, n]) => [{ code }, n]),
  );
  gauge('oss_sync_oldest_queued_seconds', 'Age of the longest-waiting queued file; 0 when none is queued.', [], () =>
    single(live.oldestQueuedAt === null ? 0 : Math.max(0, (Date.now() - live.oldestQueuedAt) / 1000)),
  );
  gauge(
    'oss_sync_last_reconcile_timestamp_seconds',
    'When each folder last finished a reconcile walk without error (absent: not since start).',
    ['folder'],
    () => [...daemon.lastReconciledAt].map(([folder, at]) => [{ folder }, at / 1000]),
  );
  gauge(
    'oss_sync_watcher_mode',
    'How each folder is watched: 1 for its current mode (watching, rescanning after a watch limit, paused).',
    ['folder', 'mode'],
    () =>
      configured()
        .filter((f) => f.mode !== null)
        .flatMap((f) => WATCH_MODES.map((mode): Samples[number] => [{ folder: f.folder, mode }, f.mode === mode ? 1 : 0])),
  );
  gauge(
    'oss_sync_folder_paused',
    'Folders not being synced (missing root, an error every upload would hit, or an operator): 1.',
    ['folder'],
    () => configured().map((f) => [{ folder: f.folder }, live.pausedFolders().has(f.folder) ? 1 : 0]),
  );
  gauge('oss_sync_state_db_healthy', '1 while the state database accepts writes, 0 after a failure (the daemon then stops).', [], () =>
    single(live.snapshot.database.healthy ? 1 : 0),
  );
  return registry;
}
