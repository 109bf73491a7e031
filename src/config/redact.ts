/** A copy of the config safe to print: secrets become `***`. */
import type { Config } from './types.js';

export const REDACTED = '***';

export function redactedConfig(config: Config): unknown {
  const copy = structuredClone(config);
  copy.oss.accessKeySecret = REDACTED;
  if (copy.oss.stsToken !== undefined) copy.oss.stsToken = REDACTED;
  if (copy.http?.token !== undefined) copy.http.token = REDACTED;
  if (copy.http?.basicAuth) copy.http.basicAuth.password = REDACTED;
  if (copy.notify?.webhookUrl !== undefined) copy.notify.webhookUrl = REDACTED;
  if (copy.notify?.pingUrl !== undefined) copy.notify.pingUrl = REDACTED;
  return copy;
}
