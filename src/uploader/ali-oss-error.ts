import { StorageError } from './errors.js';
import type { ObjectRef } from './object-storage.js';

const MAX_DETAIL = 160;

/**
 * Rebuild an ali-oss/urllib error as a StorageError from fields that cannot hold a secret.
 * Network errors keep only the first clause of their message: urllib appends the URL, socket and
 * header dumps after it. `secrets` are redacted from whatever is kept, as a second line of defence.
 */
export function toStorageError(raw: unknown, operation: string, ref: ObjectRef, secrets: readonly string[]): StorageError {
  const err = (typeof raw === 'object' && raw !== null ? raw : { message: String(raw) }) as Record<string, unknown>;
  const code = stringOrUndefined(err.code) ?? stringOrUndefined(err.name);
  const status = typeof err.status === 'number' ? err.status : undefined;
  const requestId = stringOrUndefined(err.requestId);
  return new StorageError(operation, ref.bucket, ref.key, code, status, requestId, detailOf(err.message, secrets));
}

function detailOf(message: unknown, secrets: readonly string[]): string | undefined {
  if (typeof message !== 'string' || message === '') return undefined;
  let detail = message.split('\n')[0]!.split(/, (?:PUT|GET|POST|DELETE|HEAD) /)[0]!;
  detail = detail.replace(/, please increase the timeout.*$/, '');
  for (const secret of secrets) if (secret) detail = detail.split(secret).join('***');
  return detail.length > MAX_DETAIL ? `${detail.slice(0, MAX_DETAIL)}...` : detail;
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
