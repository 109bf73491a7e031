import type { ParsedRequest } from './parsed-request.js';
import type { FaultAction, FaultRule } from './types.js';

/**
 * What a fault rule's `match.key` may be. Never a RegExp: a backtracking pattern (`^(a+)+$`) sent by a
 * caller would hold the server's one thread for ever. A glob is matched by globMatches() below in
 * O(key × pattern) steps at worst, which for keys of at most 1023 bytes is bounded.
 */
export type FaultKey = string | { prefix: string } | { glob: string };

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

export type FaultTarget = Pick<ParsedRequest, 'method' | 'operation' | 'key' | 'partNumber'>;

/** Input the admin API or a flag's file gives that cannot be used; its message names the field at fault. */
export class InvalidAdminInputError extends Error {}

/** A fault rule that cannot be used. */
export class InvalidFaultRuleError extends InvalidAdminInputError {
  constructor(message: string) {
    super(`invalid fault rule: ${message}`);
    this.name = 'InvalidFaultRuleError';
  }
}

interface ActiveRule {
  rule: FaultRule;
  nth: number;
  times: number;
  /** Matching requests seen since the rule was added. */
  seen: number;
}

function checkAction(action: FaultAction): void {
  const positive = (value: number, name: string, allowZero = false): void => {
    if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0))
      throw new InvalidFaultRuleError(`${name} must be a ${allowZero ? 'non-negative' : 'positive'} number`);
  };
  switch (action.type) {
    case 'error':
      if (!Number.isInteger(action.status) || action.status < 400 || action.status > 599)
        throw new InvalidFaultRuleError('error status must be 400..599');
      if (!action.code) throw new InvalidFaultRuleError('error code is required');
      return;
    case 'reset':
      return positive(action.afterBytes, 'afterBytes', true);
    case 'latency':
      return positive(action.ms, 'ms', true);
    case 'throttle':
      return positive(action.bytesPerSecond, 'bytesPerSecond');
    case 'corrupt':
    case 'corruptResponse':
      if (!Number.isInteger(action.atByte) || action.atByte < 0) throw new InvalidFaultRuleError('atByte must be an integer >= 0');
      return;
    case 'forgetUpload':
      return;
    default:
      throw new InvalidFaultRuleError(`unknown action type ${JSON.stringify((action as { type?: unknown }).type)}`);
  }
}

/** Throws InvalidFaultRuleError unless the rule is usable; returns its nth and times with defaults. */
export function checkFaultRule(rule: FaultRule): { nth: number; times: number } {
  const nth = rule.nth ?? 1;
  const times = rule.times ?? 1;
  if (!Number.isInteger(nth) || nth < 1) throw new InvalidFaultRuleError('nth must be an integer >= 1');
  if (!(times === Infinity || (Number.isInteger(times) && times >= 1)))
    throw new InvalidFaultRuleError('times must be an integer >= 1 or Infinity');
  const key = rule.match?.key as unknown;
  if (key !== undefined && typeof key !== 'string') {
    const { prefix, glob } = (key ?? {}) as { prefix?: unknown; glob?: unknown };
    if (typeof prefix !== 'string' && typeof glob !== 'string')
      throw new InvalidFaultRuleError('match.key must be a string, {prefix: string} or {glob: string}');
  }
  if (typeof rule.action !== 'object' || rule.action === null) throw new InvalidFaultRuleError('action is required');
  checkAction(rule.action);
  return { nth, times };
}

/**
 * Rules that make chosen requests fail or slow down (asked only about authenticated requests). Each
 * counts its own matching requests from when it is added, acts on matches nth .. nth+times-1, then retires.
 */
export class FaultInjector {
  private rules: ActiveRule[] = [];

  add(rule: FaultRule): void {
    this.rules.push({ rule, ...checkFaultRule(rule), seen: 0 });
  }

  clear(): void {
    this.rules = [];
  }

  list(): FaultRule[] {
    return this.rules.map((r) => r.rule);
  }

  /** Counts this request against every rule and returns the actions due for it, in rule order. */
  actionsFor(target: FaultTarget): FaultAction[] {
    const due: FaultAction[] = [];
    for (const active of this.rules) {
      if (!matches(active.rule, target)) continue;
      active.seen++;
      if (active.seen >= active.nth && active.seen < active.nth + active.times) due.push(active.rule.action);
    }
    this.rules = this.rules.filter((r) => r.seen < r.nth + r.times - 1);
    return due;
  }
}

function matches(rule: FaultRule, target: FaultTarget): boolean {
  const match = rule.match;
  if (!match) return true;
  if (match.method !== undefined && match.method.toUpperCase() !== target.method) return false;
  if (match.operation !== undefined && match.operation !== target.operation) return false;
  if (match.partNumber !== undefined && match.partNumber !== target.partNumber) return false;
  if (match.key === undefined) return true;
  if (target.key === undefined) return false;
  if (typeof match.key === 'string') return match.key === target.key;
  return 'prefix' in match.key ? target.key.startsWith(match.key.prefix) : globMatches(match.key.glob, target.key);
}
