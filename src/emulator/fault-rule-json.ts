import { InvalidFaultRuleError, checkFaultRule } from './fault-injector.js';
import type { FaultKey } from './fault-injector.js';
import type { FaultRule } from './types.js';

/** Longest glob or prefix accepted (a key is at most 1023 bytes; anything much longer is a mistake). */
const MAX_PATTERN = 4096;

function escapeGlob(text: string): string {
  return text.replace(/[\\*?]/g, (c) => `\\${c}`);
}

/**
 * The regexes older rule files used were literal text with anchors (`^flaky/`, `admin-fault$`).
 * Those translate exactly into a glob, so they keep working; anything with groups, repeats or
 * classes is refused instead of compiled.
 */
function regexToGlob(source: string): string | undefined {
  let rest = source;
  const anchoredStart = rest.startsWith('^');
  if (anchoredStart) rest = rest.slice(1);
  const anchoredEnd = rest.endsWith('$') && !rest.endsWith('\\$');
  if (anchoredEnd) rest = rest.slice(0, -1);
  let glob = anchoredStart ? '' : '*';
  for (let i = 0; i < rest.length; i++) {
    const c = rest[i]!;
    if (c === '\\') {
      const next = rest[i + 1];
      if (next === undefined || /[0-9A-Za-z]/.test(next)) return undefined; // \d, \w, \1...: not literal
      glob += escapeGlob(next);
      i++;
    } else if (c === '.' && rest[i + 1] === '*') {
      glob += '*';
      i++;
    } else if (c === '.') {
      glob += '?';
    } else if ('*+?()[]{}|^$'.includes(c)) {
      return undefined;
    } else {
      glob += escapeGlob(c);
    }
  }
  return anchoredEnd ? glob : `${glob}*`;
}

function patternText(value: unknown, name: string): string {
  if (typeof value !== 'string') throw new InvalidFaultRuleError(`match.key.${name} must be a string`);
  if (value.length > MAX_PATTERN) throw new InvalidFaultRuleError(`match.key.${name} is over ${MAX_PATTERN} characters`);
  return value;
}

/** `"key"`, `{"prefix": "a/"}`, `{"glob": "a/*.bin"}`, or a literal-only `{"regex": "^a/"}` (as a glob); checkFaultRule refuses the rest. */
function faultKeyFromJson(value: unknown): FaultKey {
  if (typeof value !== 'object' || value === null) return value as FaultKey;
  const fields = value as Record<string, unknown>;
  if ('prefix' in fields) return { prefix: patternText(fields.prefix, 'prefix') };
  if ('glob' in fields) return { glob: patternText(fields.glob, 'glob') };
  if ('regex' in fields) {
    const source = patternText(fields.regex, 'regex');
    const flags = fields.flags ?? '';
    const glob = flags === '' ? regexToGlob(source) : undefined;
    if (glob === undefined) {
      throw new InvalidFaultRuleError(
        `match.key.regex ${JSON.stringify(source)}${flags === '' ? '' : ` with flags ${JSON.stringify(flags)}`} is refused: only literal text with ^, $, . and .* is accepted ` +
          '(a regex sent by a caller could backtrack for ever); use {"prefix": "..."} or {"glob": "..."} (* and ?)',
      );
    }
    return { glob };
  }
  return value as FaultKey;
}

/**
 * A FaultRule as JSON carries it between processes: a key is a string (exact), `{"prefix": "..."}` or
 * `{"glob": "..."}` (see fault-injector.ts), and `times` may be the string "Infinity" (or null) because JSON has no Infinity.
 */
export function faultRuleFromJson(value: unknown): FaultRule {
  if (typeof value !== 'object' || value === null) throw new InvalidFaultRuleError('expected a JSON object');
  const rule = { ...(value as Record<string, unknown>) } as Record<string, unknown>;
  if (rule.times === 'Infinity' || rule.times === null) rule.times = Infinity;
  if (rule.match !== undefined) {
    if (typeof rule.match !== 'object' || rule.match === null) throw new InvalidFaultRuleError('match must be an object');
    const match = { ...(rule.match as Record<string, unknown>) };
    if (match.key !== undefined) match.key = faultKeyFromJson(match.key);
    rule.match = match;
  }
  checkFaultRule(rule as unknown as FaultRule);
  return rule as unknown as FaultRule;
}

/** The JSON form of a rule: Infinity as "Infinity". */
export function faultRuleToJson(rule: FaultRule): unknown {
  return rule.times === Infinity ? { ...rule, times: 'Infinity' } : rule;
}
