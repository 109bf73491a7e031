import { hostname } from 'node:os';
import type { HttpConfig, TimetableConfig } from '../config/index.js';
import { loadInspectConfig, parseCommandArgs } from './args.js';
import { readStatus } from './status-snapshot.js';
import { bytes, renderStatus } from './status-view.js';

const STATUS_HELP = `usage: oss-sync status [--config FILE] [--json] [--watch]

Shows, per folder, what is queued, uploading (with progress and rate), uploaded and failed (with
the last error); totals; whether the daemon runs; whether the state database is healthy. Works
whether or not the daemon is running.
  --json    one stable JSON document, for scripts
  --watch   redraw every 2 seconds until interrupted
`;

export async function run(argv: string[]): Promise<number> {
  const args = parseCommandArgs(argv, STATUS_HELP, { json: { type: 'boolean' }, watch: { type: 'boolean', short: 'w' } });
  if (!args) return 0;
  const { values } = args;
  const config = loadInspectConfig(values.config);
  const show = async (): Promise<string> => {
    // The timetable key is added only with a timetable: the JSON of configs without one is unchanged.
    const timetable = await timetableStatus(config.timetable);
    const snapshot = { ...readStatus(config.stateDb, config.folders), ...(timetable ? { timetable } : {}) };
    // The page is on while a daemon with http: configured runs (statusPage: an added field, schema 1).
    const page = config.http && snapshot.daemon.running ? pageAddress(config.http) : null;
    if (values.json) return `${JSON.stringify({ ...snapshot, statusPage: page }, null, 2)}\n`;
    const timetableLine = timetable ? `${renderTimetableStatus(timetable)}\n` : '';
    return `${renderStatus(snapshot)}${timetableLine}${page ? `status page: ${page}\n` : ''}`;
  };
  if (!values.watch) {
    process.stdout.write(await show());
    return 0;
  }
  return new Promise<number>((resolve) => {
    const draw = (): void => {
      void show().then((text) => process.stdout.write(`${process.stdout.isTTY ? '\x1b[2J\x1b[H' : ''}${text}`));
    };
    const timer = setInterval(draw, 2_000);
    const done = (): void => {
      clearInterval(timer);
      resolve(0);
    };
    process.once('SIGINT', done);
    // `status --watch | head`: the reader went away, which ends the watch like ^C does.
    process.stdout.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
      done();
    });
    draw();
  });
}

/** Where the status page is, as `status` prints it (a wildcard address is shown as this host's name). */
function pageAddress(http: HttpConfig): string {
  const { listen } = http;
  if (listen.kind === 'unix') return `unix:${listen.path} (e.g. curl --unix-socket ${listen.path} http://localhost/)`;
  const wildcard = listen.host === '0.0.0.0' || listen.host === '::';
  const host = wildcard ? hostname() : listen.host.includes(':') ? `[${listen.host}]` : listen.host;
  return listen.port === 0 ? `http://${host}:<port in the daemon's log>/` : `http://${host}:${listen.port}/`;
}

/** `status`'s view of the upload window and bandwidth limit: stable --json shape. */
export interface TimetableStatus {
  timeZone: string;
  uploads: 'open' | 'closed';
  /** Bytes per second; null = unlimited. */
  bandwidth: number | null;
  /** The next change within a week and a day, or null. */
  nextChange: { at: string; uploads: 'open' | 'closed'; bandwidth: number | null } | null;
}

/**
 * Evaluated from the config file, as the daemon evaluates it (a running daemon applied the same file
 * at its start or last SIGHUP). node-cron is loaded only when there is a timetable.
 */
export async function timetableStatus(config: TimetableConfig | null, now = new Date()): Promise<TimetableStatus | null> {
  if (!config) return null;
  const { Timetable } = await import('../daemon/timetable.js');
  const timetable = new Timetable(config);
  try {
    const state = timetable.stateAt(now);
    const next = timetable.nextChange(now);
    return {
      timeZone: timetable.timeZone,
      uploads: state.uploadsOpen ? 'open' : 'closed',
      bandwidth: state.bandwidth,
      nextChange: next
        ? { at: next.at.toISOString(), uploads: next.state.uploadsOpen ? 'open' : 'closed', bandwidth: next.state.bandwidth }
        : null,
    };
  } finally {
    timetable.destroy();
  }
}

function describe(uploads: 'open' | 'closed', bandwidth: number | null): string {
  return `uploads ${uploads}, bandwidth ${bandwidth === null ? 'unlimited' : `${bytes(bandwidth)}/s`}`;
}

/** One line for the text view. */
export function renderTimetableStatus(t: TimetableStatus): string {
  const next = t.nextChange
    ? `; from ${t.nextChange.at} ${describe(t.nextChange.uploads, t.nextChange.bandwidth)}`
    : '; no change within 8 days';
  return `timetable: ${describe(t.uploads, t.bandwidth)} (${t.timeZone})${next}`;
}
