/**
 * The `http:` section (the status page and /metrics listener) and the `notify:` section (webhook
 * and ping URLs). Both are off when absent. Every secret here (token, password, the credentials
 * or query of a URL) is read with secret() so its value never appears in a config error.
 */
import { isAbsolute } from 'node:path';
import { isLoopbackHost } from '../lib/loopback.js';
import { InvalidValue, describeValue } from './config-error.js';
import { resolveConfigPath } from './paths.js';
import type { SectionReader } from './section-reader.js';
import type { HttpConfig, ListenAddress, NotifyConfig } from './types.js';

/** `127.0.0.1:8384`, `[::1]:8384`, `0.0.0.0:8384` or `unix:/run/oss-sync/http.sock`. */
function parseListen(value: unknown, baseDir: string, env: NodeJS.ProcessEnv): ListenAddress {
  const text = typeof value === 'string' ? value.trim() : '';
  if (text.startsWith('unix:')) {
    const path = text.slice('unix:'.length);
    if (path === '') throw new InvalidValue('expected a socket path after unix:, e.g. unix:/run/oss-sync/http.sock');
    return { kind: 'unix', path: isAbsolute(path) ? path : resolveConfigPath(path, baseDir, env) };
  }
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535)
    throw new InvalidValue(`expected HOST:PORT (e.g. 127.0.0.1:8384) or unix:/path/to.sock, got ${describeValue(value)}`);
  const host = m[1]!.replace(/^\[(.*)\]$/, '$1');
  return { kind: 'tcp', host, port, loopback: isLoopbackHost(host) };
}

function readBasicAuth(http: SectionReader): HttpConfig['basicAuth'] {
  const section = http.section('basic_auth');
  if (!section) return undefined;
  const user = section.require('user', section.string('user'), 'the user name the browser asks for');
  const password = section.require('password', section.secret('password')?.value, 'the password, e.g. ${OSS_SYNC_HTTP_PASSWORD}');
  section.reportUnknownKeys();
  return user !== undefined && password !== undefined ? { user, password } : undefined;
}

export function readHttpSection(root: SectionReader, baseDir: string): HttpConfig | undefined {
  const http = root.section('http');
  if (!http) return undefined;
  const listen = http.require(
    'listen',
    http.parsed('listen', (v) => parseListen(v, baseDir, http.env)),
    'the address to serve the status page and /metrics on, e.g. 127.0.0.1:8384',
  );
  const token = http.secret('token')?.value;
  const basicAuth = readBasicAuth(http);
  http.reportUnknownKeys();
  if (token !== undefined && basicAuth !== undefined) {
    http.sink.atKey(http.keyPath('basic_auth'), 'set either token or basic_auth, not both');
  }
  // Invariant: nothing but loopback (or a unix socket, guarded by its file mode) is served without auth.
  if (listen?.kind === 'tcp' && !listen.loopback && token === undefined && basicAuth === undefined) {
    http.sink.atValue(
      http.keyPath('listen'),
      `${listen.host} is reachable from other machines: set http.token or http.basic_auth, or listen on 127.0.0.1`,
    );
  }
  if (!listen) return undefined;
  return { listen, token, basicAuth };
}

/** An http(s) URL; its user:password and query may hold secrets, so the value is never echoed. */
function checkUrl(value: unknown): string {
  const text = typeof value === 'string' ? value.trim() : '';
  const url = URL.canParse(text) ? new URL(text) : undefined;
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') {
    throw new InvalidValue('expected an http:// or https:// URL');
  }
  return text;
}

export function readNotifySection(root: SectionReader): NotifyConfig | undefined {
  const notify = root.section('notify');
  if (!notify) return undefined;
  const webhookUrl = notify.parsed('webhook_url', checkUrl);
  const pingUrl = notify.parsed('ping_url', checkUrl);
  notify.reportUnknownKeys();
  if (webhookUrl === undefined && pingUrl === undefined) return undefined;
  return { webhookUrl, pingUrl };
}

/** The secret parts of the observe settings, for the logger's redaction. */
export function observeSecrets(http: HttpConfig | undefined, notify: NotifyConfig | undefined): string[] {
  const out: string[] = [];
  if (http?.token) out.push(http.token);
  if (http?.basicAuth) out.push(http.basicAuth.password);
  for (const raw of [notify?.webhookUrl, notify?.pingUrl]) {
    if (raw === undefined) continue;
    const url = new URL(raw);
    // A ping or webhook URL is itself a capability (healthchecks.io, Slack): the whole URL is secret.
    out.push(raw, url.href);
    if (url.password !== '') out.push(decodeURIComponent(url.password), url.password);
  }
  return out.filter((s) => s.length >= 4);
}
