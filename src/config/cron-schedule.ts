/**
 * A light check of cron expressions (5 fields, or 6 with seconds first, as node-cron takes them),
 * so a typo fails at start-up instead of when the scheduler first parses it.
 */
import { InvalidValue, describeValue } from './config-error.js';

interface FieldRule {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

const FIVE_FIELDS: readonly FieldRule[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  { name: 'day of week', min: 0, max: 7, names: WEEKDAYS },
];
const SECONDS: FieldRule = { name: 'second', min: 0, max: 59 };

/** A number, or a month or weekday name (numbered from the field's min: jan = 1, sun = 0). */
function valueOf(token: string, rule: FieldRule): number | undefined {
  if (/^\d+$/.test(token)) return Number(token);
  const index = rule.names?.indexOf(token.toLowerCase().slice(0, 3)) ?? -1;
  return index === -1 ? undefined : index + rule.min;
}

function checkPart(part: string, rule: FieldRule): boolean {
  const [range = '', step, extra] = part.split('/');
  if (extra !== undefined || (step !== undefined && !/^[1-9]\d*$/.test(step))) return false;
  if (range === '*') return true;
  const bounds = range.split('-');
  if (bounds.length > 2) return false;
  const numbers = bounds.map((token) => valueOf(token, rule));
  return numbers.every((n) => n !== undefined && n >= rule.min && n <= rule.max);
}

/** Returns the expression trimmed, or throws InvalidValue naming the bad field. */
export function checkCronExpression(value: unknown): string {
  if (typeof value !== 'string') throw new InvalidValue(`expected a cron expression like "0 * * * *", got ${describeValue(value)}`);
  const fields = value.trim().split(/\s+/);
  if (fields.length !== 5 && fields.length !== 6) {
    throw new InvalidValue(
      `cron expression ${describeValue(value)} has ${fields.length} fields; expected 5 (minute hour day month weekday) or 6 (with seconds first)`,
    );
  }
  const rules = fields.length === 6 ? [SECONDS, ...FIVE_FIELDS] : FIVE_FIELDS;
  fields.forEach((field, index) => {
    const rule = rules[index] as FieldRule;
    if (!field.split(',').every((part) => checkPart(part, rule))) {
      throw new InvalidValue(
        `cron expression ${describeValue(value)}: bad ${rule.name} field "${field}" (allowed ${rule.min}-${rule.max})`,
      );
    }
  });
  return fields.join(' ');
}
