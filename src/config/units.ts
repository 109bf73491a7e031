/** Sizes (`8MiB`, `5MB`, bytes as a number) and durations (`2s`, `500ms`, ms as a number). */
import { InvalidValue, describeValue } from './config-error.js';

/** Canonical spellings; input is matched without case (`mib` = `MiB`). */
const SIZE_UNITS: Record<string, number> = {
  B: 1,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
  KiB: 2 ** 10,
  MiB: 2 ** 20,
  GiB: 2 ** 30,
  TiB: 2 ** 40,
};

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

function parseQuantity(value: unknown, units: Record<string, number>, help: string): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
  const match = typeof value === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$/.exec(value) : null;
  if (!match) throw new InvalidValue(`expected ${help}, got ${describeValue(value)}`);
  const [, amount = '', unit = ''] = match;
  const canonical = Object.keys(units).find((name) => name.toLowerCase() === unit.toLowerCase());
  const factor = unit === '' ? 1 : canonical === undefined ? undefined : units[canonical];
  if (factor === undefined) {
    throw new InvalidValue(`unknown unit "${unit}" in ${describeValue(value)} (use ${Object.keys(units).join(', ')})`);
  }
  return Math.round(Number(amount) * factor);
}

export function parseSize(value: unknown): number {
  return parseQuantity(value, SIZE_UNITS, 'a number of bytes or a size like 100KiB, 8MiB, 1GiB, 5MB');
}

export function parseDuration(value: unknown): number {
  return parseQuantity(value, DURATION_UNITS, 'a number of milliseconds or a duration like 500ms, 2s, 1m, 1h, 7d');
}

/** `8388608` -> `8MiB`, for messages that quote a limit. */
export function formatSize(bytes: number): string {
  const unit = ['GiB', 'MiB', 'KiB'].find((u) => bytes >= SIZE_UNITS[u]! && bytes % SIZE_UNITS[u]! === 0);
  return unit === undefined ? `${bytes} bytes` : `${bytes / SIZE_UNITS[unit]!}${unit}`;
}

/** `3600000` -> `1h`, for messages that quote a limit. */
export function formatDuration(ms: number): string {
  const units = Object.entries(DURATION_UNITS).sort((a, b) => b[1] - a[1]);
  const [unit, factor] = units.find(([, f]) => ms >= f && ms % f === 0) ?? ['ms', 1];
  return `${ms / factor}${unit}`;
}
