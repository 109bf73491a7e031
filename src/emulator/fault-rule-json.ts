import { InvalidFaultRuleError, checkFaultRule } from './fault-injector.js';
import type { FaultRule } from './types.js';

/**
 * A FaultRule as JSON carries it between processes: a RegExp key is `{"regex": "...", "flags": "i"}`,
 * and `times` may be the string "Infinity" (or null) because JSON has no Infinity.
 */
export function faultRuleFromJson(value: unknown): FaultRule {
  if (typeof value !== 'object' || value === null) throw new InvalidFaultRuleError('expected a JSON object');
  const rule = { ...(value as Record<string, unknown>) } as Record<string, unknown>;
  if (rule.times === 'Infinity' || rule.times === null) rule.times = Infinity;
  if (rule.match !== undefined) {
    if (typeof rule.match !== 'object' || rule.match === null) throw new InvalidFaultRuleError('match must be an object');
    const match = { ...(rule.match as Record<string, unknown>) };
    const key = match.key;
    if (typeof key === 'object' && key !== null) {
      const { regex, flags } = key as { regex?: unknown; flags?: unknown };
      if (typeof regex !== 'string') throw new InvalidFaultRuleError('match.key must be a string or {"regex": "..."}');
      try {
        match.key = new RegExp(regex, typeof flags === 'string' ? flags : '');
      } catch (err) {
        throw new InvalidFaultRuleError(`match.key.regex: ${(err as Error).message}`);
      }
    }
    rule.match = match;
  }
  checkFaultRule(rule as unknown as FaultRule);
  return rule as unknown as FaultRule;
}

/** The JSON form of a rule (RegExp and Infinity made representable). */
export function faultRuleToJson(rule: FaultRule): unknown {
  const key = rule.match?.key;
  return {
    ...rule,
    ...(rule.times === Infinity ? { times: 'Infinity' } : {}),
    ...(rule.match ? { match: { ...rule.match, ...(key instanceof RegExp ? { key: { regex: key.source, flags: key.flags } } : {}) } } : {}),
  };
}
