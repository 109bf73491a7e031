import { loadConfig, observeSecrets } from '../config/index.js';
import { Daemon } from '../daemon/daemon.js';
import { SystemdNotifier } from '../daemon/systemd-notifier.js';
import { startObserver } from '../observe/index.js';
import { commandLogger } from './command-logger.js';
import { packageVersion, parseCommandArgs, resolveConfigPath } from './args.js';

const RUN_HELP = `usage: oss-sync run [--config FILE]

Runs the daemon: reconciles every folder with the state database, watches them, and uploads new
and changed files until stopped.
  SIGTERM/SIGINT  stop taking work, let in-flight parts finish (up to shutdown_grace), exit 0
  SIGHUP          reload the config (folders added/removed take effect without a restart)
`;

export async function run(argv: string[]): Promise<number> {
  const args = parseCommandArgs(argv, RUN_HELP, {});
  if (!args) return 0;
  const configPath = resolveConfigPath(args.values.config);
  const config = loadConfig(configPath);
  const logger = commandLogger(config);
  // Until the daemon is up, a SIGHUP must not kill it (Node's default) and a stop request waits;
  // a SIGHUP that came meanwhile is applied once the daemon is up (the config may have changed).
  // The listeners stay for the life of the process and only their target changes: removing the
  // last listener of a signal closes its handle, and a signal received but not yet delivered is lost.
  // What start-up waits for (an adoption listing of millions of keys) is cut short at once: a
  // SIGTERM must not run past systemd's stop timeout into a SIGKILL.
  let early: string | undefined;
  let hupDuringStart = false;
  const startStop = new AbortController();
  let onSignal = (signal: string): void => {
    if (signal === 'SIGHUP') hupDuringStart = true;
    else {
      early ??= signal;
      startStop.abort();
    }
  };
  for (const signal of ['SIGHUP', 'SIGTERM', 'SIGINT'] as const) process.on(signal, () => onSignal(signal));
  const daemon = await Daemon.start({ config, logger, version: packageVersion(), mode: 'run', stopSignal: startStop.signal });
  // The status page, /metrics and alerts (http:, notify:); a listener that cannot start stops the daemon.
  const observer = await startObserver(daemon, config, logger).catch(async (err: unknown) => {
    await daemon.stop();
    throw err;
  });
  // Under systemd (Type=notify): ready only now that the folders are reconciled and watched.
  const systemd = new SystemdNotifier({ env: process.env, logger, healthy: () => daemon.healthy(), status: () => daemon.statusLine() });
  void systemd.ready();

  /** Reads the config file again and hands it to the daemon, which applies reloads one at a time. */
  let running = config;
  const reload = (): void => {
    let next;
    try {
      // A running folder whose directory vanished (unmounted) is paused, not a reason to refuse the rest.
      next = loadConfig(configPath, process.env, { mayBeMissing: new Set(running.folders.map((f) => f.path)) });
      running = next;
    } catch (err) {
      logger.error('config reload failed; keeping the running configuration', { error: err as Error });
      return;
    }
    for (const w of next.warnings) logger.warn(w);
    logger.addSecrets(observeSecrets(next.http, next.notify));
    if (JSON.stringify([next.http, next.notify]) !== JSON.stringify([config.http, config.notify])) {
      logger.warn('http: and notify: changes take effect after a restart');
    }
    daemon.reload(next).catch((err: unknown) => logger.error('reload failed', { error: err as Error }));
  };

  // Never resolves: the process exits from stop() (process.exit), once the daemon has stopped.
  return new Promise<number>(() => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) {
        logger.warn('second signal: exiting now; unfinished transfers resume at the next start', { signal });
        process.exit(1);
      }
      stopping = true;
      logger.info('stopping', { signal });
      // systemd hears STOPPING=1 before we exit (its sender must still be alive), but waits 2 s at most.
      const told = Promise.race([systemd.stopping(), new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
      // The observer closes after the daemon: a state database failure's alert goes out first.
      daemon
        .stop()
        .finally(() => observer.close())
        .then(
          // Exit now: a transfer still running past the grace period must not hold the process.
          () => told.then(() => process.exit(daemon.storeFailure ? 1 : 0)),
          (err: unknown) => {
            logger.error('error while stopping', { error: err as Error });
            // Exit as above: watchers or transfers left open must not keep the process alive.
            process.exit(1);
          },
        );
    };
    onSignal = (signal) => {
      if (signal !== 'SIGHUP') stop(signal);
      else if (stopping) logger.info('SIGHUP ignored: the daemon is stopping');
      else reload();
    };
    // Nothing more can be recorded: stop, and exit 1 so a supervisor sees the failure (and restarts later).
    // (A failure while start-up ran was reported before this listener existed: storeFailure says so.)
    const stopOnStoreFailure = (): void => {
      if (!stopping) stop('state database failure');
    };
    daemon.once('storeFailed', stopOnStoreFailure);
    if (daemon.storeFailure) stopOnStoreFailure();
    if (stopping) return;
    if (early) stop(early);
    else if (hupDuringStart) {
      logger.info('applying a SIGHUP received during start-up');
      reload();
    }
  });
}
