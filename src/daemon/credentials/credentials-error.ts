import { CredentialsUnavailableError, storageErrorCode } from '../../uploader/index.js';

/** OSS's answers that new credentials may cure (see oss-storage.ts TOKEN_REFUSED). */
const CREDENTIAL_CODES = new Set([
  'InvalidAccessKeyId',
  'SecurityTokenExpired',
  'InvalidSecurityToken',
  'AccessKeyIdAndSecurityTokenNotMatch',
  'SignatureDoesNotMatch',
]);

/** A fatal error a credentials refresh may end: no valid credentials, or OSS refusing them. */
export function isCredentialsError(err: Error): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) if (e instanceof CredentialsUnavailableError) return true;
  const code = storageErrorCode(err);
  return code !== undefined && CREDENTIAL_CODES.has(code);
}
