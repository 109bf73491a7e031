import { InvalidFaultRuleError, checkFaultRule } from './fault-injector.js';
import type { FaultKey } from './fault-injector.js';
import type { FaultRule } from './types.js';

/** Longest glob or prefix accepted (a key is at most 1023 bytes; anything much longer is a mistake). */
const MAX_PATTERN = 4096;

function patternText(value: unknown, name: string): string {
  if (typeof value !== 'string') throw new InvalidFaultRuleError(`match.key.${name} must be a string`);
  if (value.length > MAX_PATTERN) throw new InvalidFaultRuleError(`match.key.${name} is over ${MAX_PATTERN} characters`);
  return value;
}

/** `"key"`, `{"prefix": "a/"}` or `{"glob": "a/*.bin"}`; checkFaultRule refuses the rest (a regex too: none is compiled). */
function faultKeyFromJson(value: unknown): FaultKey {
  if (typeof value !== 'object' || value === null) return value as FaultKey;
  const fields = value as Record<string, unknown>;
  if ('prefix' in fields) return { prefix: patternText(fields.prefix, 'prefix') };
  if ('glob' in fields) return { glob: patternText(fields.glob, 'glob') };
  return value as FaultKey;
}

/** A FaultRule as JSON carries it between processes: `times` may be "Infinity" (or null), as JSON has no Infinity. */
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
