/** A copy of the config safe to print: secrets become `***`. */
import type { Config } from './types.js';

export const REDACTED = '***';

export function redactedConfig(config: Config): unknown {
  const copy = structuredClone(config);
  copy.oss.accessKeySecret = REDACTED;
  if (copy.oss.stsToken !== undefined) copy.oss.stsToken = REDACTED;
  return copy;
}
