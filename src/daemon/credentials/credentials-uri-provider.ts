import { RefreshingCredentials } from '../../uploader/index.js';
import type { RefreshOptions } from '../../uploader/index.js';
import { credentialsFromJson, httpText } from './json-credentials.js';

/** Alibaba Cloud's credentials-URI convention: GET answers the credentials JSON. */
export function credentialsUriProvider(uri: string, options: RefreshOptions = {}): RefreshingCredentials {
  return new RefreshingCredentials(
    'credentials_uri',
    async () => credentialsFromJson(await httpText('credentials_uri', uri), 'credentials_uri'),
    options,
  );
}
