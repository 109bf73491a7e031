import type { OssConfig } from '../../config/index.js';
import { CredentialsFetchError, RefreshingCredentials } from '../../uploader/index.js';
import type { RefreshOptions } from '../../uploader/index.js';
import { credentialsFromJson, httpText } from './json-credentials.js';

const ROLE_PATH = '/latest/meta-data/ram/security-credentials/';
/** The metadata token lives this long; one is fetched per credentials fetch, so it never outlives its use. */
const TOKEN_TTL_SECONDS = 60;
const TIMEOUT_MS = 5_000;

/** oss.credentials of ecs_ram_role: roleName is discovered from the metadata service when absent. */
type EcsRamRoleOptions = Omit<Extract<NonNullable<OssConfig['credentials']>, { provider: 'ecs_ram_role' }>, 'provider'>;

/**
 * The ECS instance RAM role. Hardened mode first (PUT /latest/api/token, then every read with the
 * token header); if the service does not give a token, normal mode unless hardenedOnly. Written
 * here because @alicloud/credentials' ECS provider cannot be pointed at another address.
 */
export function ecsRamRoleProvider(o: EcsRamRoleOptions, options: RefreshOptions = {}): RefreshingCredentials {
  const base = o.metadataEndpoint.replace(/\/+$/, '');
  const get = (path: string, init: RequestInit): Promise<string> => httpText('ecs_ram_role', `${base}${path}`, init, TIMEOUT_MS);
  const fetchCredentials = async () => {
    const headers: Record<string, string> = {};
    try {
      const token = await get('/latest/api/token', {
        method: 'PUT',
        headers: { 'X-aliyun-ecs-metadata-token-ttl-seconds': String(TOKEN_TTL_SECONDS) },
      });
      headers['X-aliyun-ecs-metadata-token'] = token.trim();
    } catch (err) {
      if (o.hardenedOnly)
        throw new CredentialsFetchError(
          `the ecs_ram_role provider got no metadata token (hardened_only is set): ${(err as Error).message}`,
        );
    }
    let role = o.roleName;
    if (role === undefined) {
      const listed = (await get(ROLE_PATH, { headers })).trim().split('\n')[0]?.trim();
      if (!listed) throw new CredentialsFetchError('the ecs_ram_role provider found no RAM role attached to this instance');
      role = listed;
    }
    return credentialsFromJson(await get(`${ROLE_PATH}${encodeURIComponent(role)}`, { headers }), 'ecs_ram_role');
  };
  return new RefreshingCredentials('ecs_ram_role', fetchCredentials, options);
}
