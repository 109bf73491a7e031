import { createHmac, randomUUID } from 'node:crypto';
import type { OssConfig } from '../../config/index.js';
import { RefreshingCredentials } from '../../uploader/index.js';
import type { CredentialsProvider, RefreshOptions } from '../../uploader/index.js';
import { credentialsFromJson, httpText } from './json-credentials.js';

/** oss.credentials of assume_role, but for its base (built first: see build-provider.ts). */
type AssumeRoleOptions = Omit<Extract<NonNullable<OssConfig['credentials']>, { provider: 'assume_role' }>, 'provider' | 'base'>;

/** RFC 3986 encoding as Alibaba Cloud's RPC signature wants it ('*' and '~' differ from encodeURIComponent). */
function percentEncode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** The parameters sorted by name, each enc(k)=enc(v), joined by &: the query, and what is signed. */
function canonicalQuery(params: Record<string, string>): string {
  return Object.keys(params)
    .sort()
    .map((k) => `${percentEncode(k)}=${percentEncode(params[k]!)}`)
    .join('&');
}

/** Alibaba Cloud's RPC signature (version 1.0, HMAC-SHA1) of METHOD & %2F & enc(canonical query), keyed secret + '&'. */
export function signRpcQuery(method: string, params: Record<string, string>, secret: string): string {
  const stringToSign = `${method}&${percentEncode('/')}&${percentEncode(canonicalQuery(params))}`;
  return createHmac('sha1', `${secret}&`).update(stringToSign).digest('base64');
}

/** STS AssumeRole, called with the base provider's credentials (which renew on their own). */
export function assumeRoleProvider(base: CredentialsProvider, o: AssumeRoleOptions, options: RefreshOptions = {}): RefreshingCredentials {
  const fetchCredentials = async () => {
    const baseCredentials = await base.get();
    const params: Record<string, string> = {
      Action: 'AssumeRole',
      Format: 'JSON',
      Version: '2015-04-01',
      AccessKeyId: baseCredentials.accessKeyId,
      SignatureMethod: 'HMAC-SHA1',
      SignatureVersion: '1.0',
      SignatureNonce: randomUUID(),
      Timestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      RoleArn: o.roleArn,
      RoleSessionName: o.roleSessionName,
      DurationSeconds: String(o.durationSeconds),
    };
    if (o.policy !== undefined) params.Policy = o.policy;
    if (baseCredentials.securityToken !== undefined) params.SecurityToken = baseCredentials.securityToken;
    const query = `${canonicalQuery(params)}&Signature=${percentEncode(signRpcQuery('GET', params, baseCredentials.accessKeySecret))}`;
    const text = await httpText('assume_role', `${o.stsEndpoint.replace(/\/+$/, '')}/?${query}`);
    return credentialsFromJson(text, 'assume_role', 'Credentials');
  };
  const provider = new RefreshingCredentials('assume_role', fetchCredentials, options);
  provider.onClose(() => base.close());
  return provider;
}
