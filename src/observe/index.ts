/**
 * Starts what an operator watches from afar: the HTTP listener (status page, /metrics) when
 * `http:` is configured and the alerts when `notify:` is. Both are off by default.
 */
import { hostname } from 'node:os';
import { observeSecrets } from '../config/index.js';
import type { Config } from '../config/index.js';
import type { Daemon } from '../daemon/daemon.js';
import type { Logger } from '../lib/logger.js';
import { ObserveServer } from './http-server.js';
import { LiveState } from './live-state.js';
import { createMetrics } from './metrics.js';
import { Notifier } from './notifier.js';
import type { CredentialsState } from '../uploader/index.js';

const EXPIRY_WARNING_MS = 10 * 60_000;

/** The page's health line: the provider and its times, never a value. */
function credentialsLine(state: CredentialsState | undefined): string {
  if (!state) return 'unknown';
  const expiry = state.expiresAt === undefined ? 'no expiry' : `expire ${new Date(state.expiresAt).toISOString()}`;
  const refreshed = state.refreshedAt === undefined ? '' : `, refreshed ${new Date(state.refreshedAt).toISOString()}`;
  return `${state.kind}: ${expiry}${refreshed}${state.lastError ? ` (refresh failing: ${state.lastError})` : ''}`;
}

export interface Observer {
  /** Stops the listener; gives queued alerts a short grace to go out. */
  close(): Promise<void>;
}

export async function startObserver(daemon: Daemon, config: Config, logger: Logger): Promise<Observer> {
  const { http, notify } = config;
  if (!http && !notify) return { close: async () => undefined };
  logger.addSecrets(observeSecrets(http, notify));
  const live = new LiveState(daemon, logger);
  // Two queues: a receiver down for the webhook must not hold the pings back (silence would page someone).
  const notifier = new Notifier({ webhookUrl: notify?.webhookUrl, logger, hostname: hostname() });
  const pinger = new Notifier({ pingUrl: notify?.pingUrl, logger, hostname: hostname() });
  live.on('parked', (folder, relPath, reason, attempts) => notifier.alert('file.parked', { folder, path: relPath, reason, attempts }));
  live.on('paused', (folder, reason) => notifier.alert('folder.paused', { folder, reason }));
  live.on('resumed', (folder) => notifier.alert('folder.resumed', { folder }));
  daemon.on('storeFailed', (err) => notifier.alert('state_db.failed', { stateDb: config.stateDb, error: err.message }));
  daemon.on('reconciled', () => pinger.ping());
  daemon.on('verifyMismatch', (alert) => notifier.alert('verify.mismatch', { ...alert }));
  const deletesPaused = (folder: string, held: number, limit?: number): void =>
    notifier.alert('deletes.paused', { folder, held, ...(limit === undefined ? {} : { limit }), release: 'oss-sync retry --deletes' });
  daemon.on('deletesHeld', deletesPaused);
  // Deletes paused before this was listening (the start-up walks): alerted now.
  for (const folder of config.folders) {
    const held = daemon.store.heldDeletes.count(folder.name);
    if (held > 0) deletesPaused(folder.name, held);
  }
  // Refreshes run at 80% of a lifetime: credentials within 10 minutes of expiry mean the provider is failing.
  let warnedFor: number | undefined;
  live.on('sample', () => {
    const state = daemon.credentialsState();
    if (state?.expiresAt === undefined || state.expiresAt === warnedFor || state.expiresAt - Date.now() > EXPIRY_WARNING_MS) return;
    warnedFor = state.expiresAt;
    notifier.alert('credentials.expiring', { expiresAt: new Date(state.expiresAt).toISOString() });
  });
  // The start-up walks ran before this was listening: their success is the first ping.
  if (config.folders.every((f) => daemon.lastReconciledAt.has(f.name))) pinger.ping();
  let server: ObserveServer | undefined;
  if (http) {
    // Built once per sample (its first reader builds it), however many pages are open.
    let json: string | undefined;
    live.on('sample', () => (json = undefined));
    const pageJson = (): string =>
      (json ??= logger.redact(
        JSON.stringify({
          at: Date.now(),
          status: live.snapshot,
          history: live.history,
          recentErrors: live.recentErrors,
          paused: Object.fromEntries(live.pausedFolders()),
          lastReconcileAt: Object.fromEntries(daemon.lastReconciledAt),
          credentials: credentialsLine(daemon.credentialsState()),
          actions: http.token !== undefined ? 'token' : http.basicAuth ? 'basic' : 'none',
        }),
      ));
    server = await ObserveServer.start({
      http,
      logger,
      metrics: createMetrics(live),
      pageJson,
      samples: live,
      actions: {
        retry: (folder, relPath) => {
          const n = daemon.retryParked(folder, [relPath]);
          live.sample();
          return n;
        },
        pause: (folder, paused) => daemon.setOperatorPause(folder, paused),
      },
    }).catch((err: unknown) => {
      live.close();
      const where = http.listen.kind === 'unix' ? http.listen.path : `${http.listen.host}:${http.listen.port}`;
      const code = (err as NodeJS.ErrnoException).code;
      throw new Error(
        `http.listen in ${config.sourcePath}: cannot listen on ${where} (${code === 'EADDRINUSE' ? 'address already in use' : (err as Error).message})`,
      );
    });
    logger.info('status page and /metrics listening', { url: server.url });
  }
  return {
    async close() {
      live.close();
      await server?.close();
      await Promise.all([notifier.close(), pinger.close()]);
    },
  };
}
