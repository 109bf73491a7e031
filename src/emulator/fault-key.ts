import { InvalidFaultRuleError } from './fault-injector-error.js';

/**
 * What a fault rule's `match.key` may be. Nothing a caller sends over HTTP becomes a RegExp: a
 * backtracking pattern (`^(a+)+$`) would hold the server's one thread for ever. A glob is matched by
 * globMatches() below in O(key × pattern) steps at worst, which for keys of at most 1023 bytes is
 * bounded. An in-process RegExp stays allowed: it is the calling test's own code, not input.
 */
export type FaultKey = string | RegExp | { prefix: string } | { glob: string };

/** Longest glob or prefix accepted (a key is at most 1023 bytes; anything much longer is a mistake). */
const MAX_PATTERN = 4096;

/**
 * `*` is any run of characters ('/' included), `?` one character, `\` makes the next one literal.
 * The classic two-pointer match: on a mismatch it resumes from the last `*` one character further
 * on, so no state is ever revisited more than once per key position: no exponential backtracking.
 */
export function globMatches(glob: string, text: string): boolean {
  const pattern = Array.from(glob);
  const chars = Array.from(text);
  let p = 0;
  let t = 0;
  let starAt = -1;
  let resumeAt = 0;
  while (t < chars.length) {
    const token = pattern[p];
    if (token === '*') {
      starAt = p++;
      resumeAt = t;
      continue;
    }
    const literal = token === '\\' ? pattern[p + 1] : token;
    const width = token === '\\' ? 2 : 1;
    if (token !== undefined && (token === '?' || literal === chars[t])) {
      p += width;
      t++;
    } else if (starAt >= 0) {
      p = starAt + 1;
      t = ++resumeAt;
    } else {
      return false;
    }
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}

export function keyMatches(key: FaultKey, target: string): boolean {
  if (typeof key === 'string') return key === target;
  if (key instanceof RegExp) {
    key.lastIndex = 0;
    return key.test(target);
  }
  if ('prefix' in key) return target.startsWith(key.prefix);
  return globMatches(key.glob, target);
}

function escapeGlob(text: string): string {
  return text.replace(/[\\*?]/g, (c) => `\\${c}`);
}

/**
 * The regexes older rule files used were literal text with anchors (`^flaky/`, `admin-fault$`).
 * Those translate exactly into a glob, so they keep working; anything with groups, repeats or
 * classes is refused instead of compiled.
 */
export function regexToGlob(source: string): string | undefined {
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

/** `"key"`, `{"prefix": "a/"}`, `{"glob": "a/*.bin"}`, or a literal-only `{"regex": "^a/"}` (as a glob). */
export function faultKeyFromJson(value: unknown): FaultKey {
  if (typeof value === 'string') return value;
  if (typeof value !== 'object' || value === null)
    throw new InvalidFaultRuleError('match.key must be a string, {"prefix": ...} or {"glob": ...}');
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
  throw new InvalidFaultRuleError('match.key must be a string, {"prefix": ...} or {"glob": ...}');
}

/** The JSON form (an in-process RegExp is shown as {"regex", "flags"}, for reading only). */
export function faultKeyToJson(key: FaultKey): unknown {
  return key instanceof RegExp ? { regex: key.source, flags: key.flags } : key;
}
