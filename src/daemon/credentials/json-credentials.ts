import { CredentialsFetchError, RefreshingCredentials } from '../../uploader/index.js';
import type { OssCredentials, RefreshOptions } from '../../uploader/index.js';

/**
 * Alibaba Cloud's credentials JSON (credentials URI, the CLI's external process, ECS metadata):
 * {AccessKeyId, AccessKeySecret, SecurityToken, Expiration}, or that object under `field` (STS's
 * `Credentials`). Errors name the provider, never a value (the text may hold a secret).
 */
export function credentialsFromJson(text: string, provider: string, field?: string): OssCredentials {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new CredentialsFetchError(`the ${provider} provider answered malformed JSON`);
  }
  if (field !== undefined) data = (data as Record<string, unknown> | null)?.[field];
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    throw new CredentialsFetchError(`the ${provider} provider answered JSON that is not an object`);
  const v = data as Record<string, unknown>;
  if (typeof v.Code === 'string' && v.Code !== 'Success')
    throw new CredentialsFetchError(`the ${provider} provider answered Code ${JSON.stringify(v.Code.slice(0, 40))}`);
  for (const field of ['AccessKeyId', 'AccessKeySecret'] as const) {
    if (typeof v[field] !== 'string' || v[field] === '') throw new CredentialsFetchError(`the ${provider} provider answered no ${field}`);
  }
  const credentials: OssCredentials = { accessKeyId: v.AccessKeyId as string, accessKeySecret: v.AccessKeySecret as string };
  if (v.SecurityToken !== undefined) {
    if (typeof v.SecurityToken !== 'string' || v.SecurityToken === '')
      throw new CredentialsFetchError(`the ${provider} provider answered an empty SecurityToken`);
    credentials.securityToken = v.SecurityToken;
  }
  if (v.Expiration !== undefined) {
    const expiration = typeof v.Expiration === 'string' ? Date.parse(v.Expiration) : NaN;
    if (!Number.isFinite(expiration))
      throw new CredentialsFetchError(`the ${provider} provider answered an Expiration that is not an ISO 8601 time`);
    if (expiration <= Date.now())
      throw new CredentialsFetchError(
        `the ${provider} provider answered credentials that expired at ${new Date(expiration).toISOString()}`,
      );
    credentials.expiration = expiration;
  } else if (credentials.securityToken !== undefined) {
    throw new CredentialsFetchError(`the ${provider} provider answered a SecurityToken without Expiration`);
  }
  return credentials;
}

/** One HTTP exchange with a deadline; a non-2xx status is an error naming the provider and URL path, not the body. */
export async function httpText(provider: string, url: string, init: RequestInit = {}, timeoutMs = 10_000): Promise<string> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, redirect: 'error', signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
    throw new CredentialsFetchError(`the ${provider} provider could not reach ${safeUrl(url)} (${cause})`);
  }
  const text = await res.text();
  if (!res.ok) throw new CredentialsFetchError(`the ${provider} provider: ${safeUrl(url)} answered HTTP ${res.status}`);
  return text;
}

/** Scheme, host and path: a query may carry a signature or token. */
function safeUrl(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}${u.pathname}`;
}

/** Alibaba Cloud's credentials-URI convention: GET answers the credentials JSON. */
export function credentialsUriProvider(uri: string, options: RefreshOptions = {}): RefreshingCredentials {
  const fetchCredentials = async () => credentialsFromJson(await httpText('credentials_uri', uri), 'credentials_uri');
  return new RefreshingCredentials('credentials_uri', fetchCredentials, options);
}
