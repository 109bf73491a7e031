/**
 * The `timetable:` section (written out in config.example.yaml): upload windows and a bandwidth
 * limit that change by cron schedule. Each setting holds from the latest entry that set it (see daemon/timetable.ts).
 */
import { checkCronExpression } from './cron-schedule.js';
import { InvalidValue, describeValue } from './config-error.js';
import type { SectionReader } from './section-reader.js';
import { CUTOFF_MODES } from './types.js';
import type { TimetableConfig, TimetableEntry } from './types.js';
import { parseSize } from './units.js';

/** Below this a request body of one part would take hours: surely a unit typo (2KiB for 2MiB). */
const MIN_BANDWIDTH_BYTES = 16 * 1024;

const UNLIMITED = new Set<unknown>(['unlimited', 'off', 'none']);

/** A bandwidth value: bytes per second, or null for unlimited. */
function parseBandwidth(value: unknown): number | null {
  if (typeof value === 'string' && UNLIMITED.has(value.trim().toLowerCase())) return null;
  const text = typeof value === 'string' ? value.trim().replace(/\/s$/i, '') : value;
  let bytes: number;
  try {
    bytes = parseSize(text);
  } catch (err) {
    if (!(err instanceof InvalidValue)) throw err;
    throw new InvalidValue(`expected bytes per second like 2MiB (or 2MiB/s) or "unlimited", got ${describeValue(value)}`);
  }
  if (bytes < MIN_BANDWIDTH_BYTES)
    throw new InvalidValue(`${describeValue(value)} is below the minimum of 16KiB per second (use "unlimited" for no limit)`);
  return bytes;
}

/** An IANA time zone this Node knows (Intl throws RangeError for any other). */
function checkTimeZone(value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '')
    throw new InvalidValue(`expected an IANA time zone like "Europe/Berlin" or "UTC", got ${describeValue(value)}`);
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value.trim() });
  } catch {
    throw new InvalidValue(`unknown time zone ${describeValue(value)} (expected an IANA name like "Europe/Berlin" or "UTC")`);
  }
  return value.trim();
}

/** Minute resolution: a timetable is evaluated minute by minute, so a seconds field is refused. */
function checkEntryCron(value: unknown): string {
  const expression = checkCronExpression(value);
  if (expression.split(' ').length !== 5)
    throw new InvalidValue(
      `cron expression ${describeValue(value)} has a seconds field; timetable entries take 5 fields (minute hour day month weekday)`,
    );
  return expression;
}

function readEntry(entry: SectionReader): TimetableEntry | undefined {
  const at = entry.require('at', entry.parsed('at', checkEntryCron), 'a cron expression saying when this entry takes effect');
  const uploads = entry.oneOf('uploads', ['open', 'closed'] as const);
  const bandwidth = entry.parsed('bandwidth', parseBandwidth);
  if (!entry.has('uploads') && !entry.has('bandwidth'))
    entry.sink.atValue(entry.path, 'an entry sets uploads (open or closed), bandwidth, or both');
  entry.reportUnknownKeys();
  return at === undefined ? undefined : { at, uploads, bandwidth };
}

export function readTimetable(root: SectionReader): TimetableConfig | null {
  const section = root.section('timetable');
  if (!section) return null;
  const timeZone = section.parsed('time_zone', checkTimeZone);
  const cutoff = section.oneOf('cutoff', CUTOFF_MODES) ?? 'soft';
  const ossTrafficLimit = section.boolean('oss_traffic_limit') ?? false;
  const entries = section
    .list('entries', 'expected a list of entries, each with at: (cron) and uploads: and/or bandwidth:')
    .flatMap((entry) => readEntry(entry) ?? []);
  section.reportUnknownKeys();
  return { timeZone, cutoff, ossTrafficLimit, entries };
}
