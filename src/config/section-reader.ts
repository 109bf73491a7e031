/**
 * Reads one YAML mapping key by key: each accessor validates, reports a located issue on a bad
 * value and returns the fallback, so one pass finds every problem. Keys never read are unknown.
 */
import { envRefsIn, expandEnvRefs, hideEnvValues } from './env-refs.js';
import { InvalidValue, describeValue } from './config-error.js';
import type { IssueSink } from './issue-sink.js';
import { childPath } from './yaml-source.js';
import { formatDuration, formatSize, parseDuration, parseSize } from './units.js';

export interface Secret {
  value: string;
  /** True when the file holds the literal value rather than a `${VAR}` reference. */
  inline: boolean;
}

export function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export class SectionReader {
  private readonly read = new Set<string>();
  private readonly invalid = new Set<string>();

  private constructor(
    readonly path: string,
    private readonly values: Record<string, unknown>,
    readonly sink: IssueSink,
    readonly env: NodeJS.ProcessEnv,
  ) {}

  /** A reader for value, or undefined (with an issue) when it is not a mapping. */
  static open(value: unknown, path: string, sink: IssueSink, env: NodeJS.ProcessEnv): SectionReader | undefined {
    if (isMapping(value)) return new SectionReader(path, value, sink, env);
    sink.atValue(path, `expected a mapping of keys, got ${describeValue(value)}`);
    return undefined;
  }

  keyPath(key: string): string {
    return childPath(this.path, key);
  }

  /** The raw value; marks the key as known. */
  raw(key: string): unknown {
    this.read.add(key);
    return this.values[key];
  }

  has(key: string): boolean {
    return this.raw(key) !== undefined && this.raw(key) !== null;
  }

  /** Readers for the mappings listed at key; a value that is not a list of at least one is reported as `expected`. */
  list(key: string, expected: string): SectionReader[] {
    const raw = this.raw(key);
    if (!Array.isArray(raw) || raw.length === 0) {
      this.sink.atValue(this.keyPath(key), expected);
      return [];
    }
    return raw.flatMap((item, index) => SectionReader.open(item, childPath(this.keyPath(key), index), this.sink, this.env) ?? []);
  }

  /** A reader for the mapping at key; undefined when absent, or (reported) not a mapping. */
  section(key: string): SectionReader | undefined {
    return this.has(key) ? SectionReader.open(this.raw(key), this.keyPath(key), this.sink, this.env) : undefined;
  }

  /**
   * Parses the value with parse(), after expanding `${VAR}` references in a string; undefined when
   * absent or invalid (invalid is reported).
   */
  parsed<T>(key: string, parse: (value: unknown) => T): T | undefined {
    const value = this.raw(key);
    if (value === undefined || value === null) return undefined;
    let expanded = value;
    try {
      expanded = typeof value === 'string' ? expandEnvRefs(value, this.env) : value;
      return parse(expanded);
    } catch (error) {
      if (!(error instanceof InvalidValue)) throw error;
      this.invalid.add(key);
      const message = expanded === value ? error.message : this.withoutEnvValues(error.message, value as string, expanded);
      this.sink.atValue(this.keyPath(key), message);
      return undefined;
    }
  }

  /**
   * A value from the environment may be a secret written under the wrong key: a message about it
   * names the reference, never the value, whole (quoted), resolved into a path or in part.
   */
  private withoutEnvValues(message: string, raw: string, expanded: unknown): string {
    const out = message.split(describeValue(expanded)).join(`the value of ${describeValue(raw)}`);
    // Every value of this key's references, however short: the message is about this very value.
    return hideEnvValues(out, envRefsIn(raw, this.env));
  }

  /** A string, trimmed; undefined when absent, empty (`${VAR:-}`) or invalid. `reveal` false: a message never shows the value. */
  string(key: string, reveal = true): string | undefined {
    return this.parsed(key, (value) => {
      if (typeof value !== 'string') {
        throw new InvalidValue(`expected a string, got ${reveal ? describeValue(value) : `a ${typeof value}`}`);
      }
      return value.trim() === '' ? undefined : value.trim();
    });
  }

  /** Like string(), but the value never appears in a message. */
  secret(key: string): Secret | undefined {
    const raw = this.raw(key);
    const value = this.string(key, false);
    return value === undefined ? undefined : { value, inline: typeof raw === 'string' && !raw.includes('${') };
  }

  /** Reports a missing or empty value (an invalid one is already reported). */
  require<T>(key: string, value: T | undefined, what: string): T | undefined {
    if (value !== undefined || this.invalid.has(key)) return value;
    this.sink.atKey(this.keyPath(key), this.has(key) ? `is empty: ${what}` : `missing: ${what}`);
    return undefined;
  }

  oneOf<T extends string>(key: string, allowed: readonly T[]): T | undefined {
    return this.parsed(key, (value) => {
      const match = allowed.find((option) => option === value);
      if (match !== undefined) return match;
      const caseless = allowed.find((option) => option.toLowerCase() === String(value).toLowerCase());
      const hint = caseless === undefined ? '' : ` (did you mean "${caseless}"?)`;
      throw new InvalidValue(`expected one of ${allowed.join(', ')}, got ${describeValue(value)}${hint}`);
    });
  }

  size(key: string, limits: { min: number; max?: number }): number | undefined {
    return this.quantity(key, parseSize, formatSize, limits);
  }

  duration(key: string, limits: { min?: number } = {}): number | undefined {
    return this.quantity(key, parseDuration, formatDuration, limits);
  }

  private quantity(key: string, parse: (v: unknown) => number, format: (n: number) => string, limits: { min?: number; max?: number }) {
    return this.parsed(key, (value) => {
      const n = parse(value);
      if (limits.min !== undefined && n < limits.min)
        throw new InvalidValue(`${describeValue(value)} is below the minimum of ${format(limits.min)}`);
      if (limits.max !== undefined && n > limits.max)
        throw new InvalidValue(`${describeValue(value)} is above the maximum of ${format(limits.max)}`);
      return n;
    });
  }

  integer(key: string, min: number, max: number): number | undefined {
    return this.parsed(key, (value) => {
      if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return value;
      throw new InvalidValue(`expected a whole number from ${min} to ${max}, got ${describeValue(value)}`);
    });
  }

  boolean(key: string): boolean | undefined {
    return this.parsed(key, (value) => {
      if (typeof value === 'boolean') return value;
      throw new InvalidValue(`expected true or false, got ${describeValue(value)}`);
    });
  }

  /** A list of non-empty strings; a single string is accepted as a list of one. */
  stringList(key: string): string[] | undefined {
    return this.parsed(key, (value) => {
      const list = Array.isArray(value) ? value : [value];
      if (list.every((item): item is string => typeof item === 'string' && item.trim() !== '')) return list;
      throw new InvalidValue(`expected a list of non-empty strings, got ${describeValue(value)}`);
    });
  }

  /**
   * Reports every key that no accessor asked for, with a spelling hint. At the top level, `x-` keys
   * are free for YAML anchors (as in docker-compose).
   */
  reportUnknownKeys(): void {
    for (const key of Object.keys(this.values)) {
      if (this.path === '' && key.startsWith('x-')) continue;
      if (!this.read.has(key)) this.sink.atKey(this.keyPath(key), `unknown key${didYouMean(key, this.read)}`);
    }
  }
}

function toSnakeCase(key: string): string {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/-/g, '_')
    .toLowerCase();
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** For a misspelt key (camelCase/kebab-case, small typos): ` (did you mean "part_size"? keys are snake_case)` or '' when nothing is close. */
function didYouMean(key: string, known: Iterable<string>): string {
  const candidates = [...known];
  const snake = toSnakeCase(key);
  if (snake !== key && candidates.includes(snake)) return ` (did you mean "${snake}"? keys are snake_case)`;
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(key.length / 4)) + 1;
  for (const candidate of candidates) {
    const distance = editDistance(snake, candidate);
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return best === undefined ? '' : ` (did you mean "${best}"?)`;
}
