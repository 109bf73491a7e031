import { hostname } from 'node:os';
import type { HttpConfig } from '../config/index.js';

/** Where the status page is, as `status` prints it (a wildcard address is shown as this host's name). */
export function pageAddress(http: HttpConfig): string {
  const { listen } = http;
  if (listen.kind === 'unix') return `unix:${listen.path} (e.g. curl --unix-socket ${listen.path} http://localhost/)`;
  const wildcard = listen.host === '0.0.0.0' || listen.host === '::';
  const host = wildcard ? hostname() : listen.host.includes(':') ? `[${listen.host}]` : listen.host;
  return listen.port === 0 ? `http://${host}:<port in the daemon's log>/` : `http://${host}:${listen.port}/`;
}
