/** Sizes (`8MiB`, `5MB`, bytes as a number) and durations (`2s`, `500ms`, ms as a number). */
import { InvalidValue, describeValue } from './invalid-value.js';

const SIZE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
};

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

const SIZE_HELP = 'a number of bytes or a size like 100KiB, 8MiB, 1GiB, 5MB';
const DURATION_HELP = 'a number of milliseconds or a duration like 500ms, 2s, 1m, 1h';

function parseQuantity(value: unknown, units: Record<string, number>, help: string): number {
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value >= 0) return value;
    throw new InvalidValue(`expected ${help}, got ${describeValue(value)}`);
  }
  if (typeof value !== 'string') throw new InvalidValue(`expected ${help}, got ${describeValue(value)}`);
  const match = /^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$/.exec(value);
  if (!match) throw new InvalidValue(`expected ${help}, got ${describeValue(value)}`);
  const [, amount = '', unit = ''] = match;
  const factor = unit === '' ? 1 : units[unit.toLowerCase()];
  if (factor === undefined) {
    throw new InvalidValue(`unknown unit "${unit}" in ${describeValue(value)} (use ${Object.keys(units).join(', ')})`);
  }
  return Math.round(Number(amount) * factor);
}

export function parseSize(value: unknown): number {
  return parseQuantity(value, SIZE_UNITS, SIZE_HELP);
}

export function parseDuration(value: unknown): number {
  return parseQuantity(value, DURATION_UNITS, DURATION_HELP);
}

/** `8388608` -> `8MiB`, for messages that quote a limit. */
export function formatSize(bytes: number): string {
  for (const [unit, factor] of [['GiB', 2 ** 30], ['MiB', 2 ** 20], ['KiB', 2 ** 10]] as const) {
    if (bytes >= factor && bytes % factor === 0) return `${bytes / factor}${unit}`;
  }
  return `${bytes} bytes`;
}
