import { InvalidFaultRuleError, checkFaultRule } from './fault-injector.js';
import { faultKeyFromJson, faultKeyToJson } from './fault-key.js';
import type { FaultRule } from './types.js';

/**
 * A FaultRule as JSON carries it between processes: a key is a string (exact), `{"prefix": "..."}` or
 * `{"glob": "..."}` (never a RegExp: see fault-key.ts), and `times` may be the string "Infinity" (or null) because JSON has no Infinity.
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

/** The JSON form of a rule (RegExp and Infinity made representable). */
export function faultRuleToJson(rule: FaultRule): unknown {
  const key = rule.match?.key;
  return {
    ...rule,
    ...(rule.times === Infinity ? { times: 'Infinity' } : {}),
    ...(rule.match ? { match: { ...rule.match, ...(key !== undefined ? { key: faultKeyToJson(key) } : {}) } } : {}),
  };
}
