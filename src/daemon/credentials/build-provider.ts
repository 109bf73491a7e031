import type { OssConfig } from '../../config/index.js';
import { staticCredentials } from '../../uploader/index.js';
import type { CredentialsProvider, RefreshOptions } from '../../uploader/index.js';
import { assumeRoleProvider } from './assume-role-provider.js';
import { ecsRamRoleProvider } from './ecs-ram-role-provider.js';
import { fileProvider } from './file-provider.js';
import { credentialsUriProvider } from './json-credentials.js';
import { processProvider } from './process-provider.js';

/** The provider oss.credentials names; absent or static: the config's keys, as before. */
export function buildCredentialsProvider(oss: OssConfig, options: RefreshOptions = {}): CredentialsProvider {
  const source = oss.credentials ?? { provider: 'static' };
  switch (source.provider) {
    case 'static':
      return staticCredentials({
        accessKeyId: oss.accessKeyId,
        accessKeySecret: oss.accessKeySecret,
        ...(oss.stsToken !== undefined ? { securityToken: oss.stsToken } : {}),
      });
    case 'file':
      return fileProvider(source.path, options);
    case 'credentials_uri':
      return credentialsUriProvider(source.uri, options);
    case 'process':
      return processProvider(source.command, source.timeoutMs, options);
    case 'ecs_ram_role':
      return ecsRamRoleProvider(source, options);
    case 'assume_role':
      return assumeRoleProvider(buildCredentialsProvider({ ...oss, credentials: source.base }, options), source, options);
  }
}
