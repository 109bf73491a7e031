/**
 * Who may read the page and /metrics, and who may act (retry, pause, resume).
 *
 * Invariants: with a token or basic auth configured, every request needs it; with neither (only
 * allowed on loopback or a unix socket, see config), reads are open and actions are refused.
 * An action needs the Authorization header itself, never the page's cookie alone, so that another
 * site cannot make a logged-in browser act (it cannot set that header without a CORS preflight,
 * which this server never grants).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { HttpConfig } from '../config/index.js';

export const SESSION_COOKIE = 'oss_sync_session';

function same(a: string, b: string): boolean {
  const x = createHash('sha256').update(a).digest();
  const y = createHash('sha256').update(b).digest();
  return timingSafeEqual(x, y);
}

/** The cookie value that stands for the token: its hash, so the cookie jar never holds the token. */
export function sessionValue(token: string): string {
  return createHash('sha256').update(`oss-sync session\0${token}`).digest('hex');
}

export class HttpAuth {
  constructor(private readonly http: HttpConfig) {}

  get configured(): boolean {
    return this.http.token !== undefined || this.http.basicAuth !== undefined;
  }

  get scheme(): 'token' | 'basic' | 'none' {
    return this.http.token !== undefined ? 'token' : this.http.basicAuth ? 'basic' : 'none';
  }

  /** The Authorization header carries valid credentials. */
  headerValid(req: IncomingMessage): boolean {
    const header = req.headers.authorization ?? '';
    const { token, basicAuth } = this.http;
    if (token !== undefined && header.startsWith('Bearer ')) return same(header.slice('Bearer '.length).trim(), token);
    if (basicAuth && header.startsWith('Basic ')) {
      const decoded = Buffer.from(header.slice('Basic '.length).trim(), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) return false;
      // Both compared every time: the answer's timing must not tell a right user name from a wrong one.
      const user = same(decoded.slice(0, colon), basicAuth.user);
      const password = same(decoded.slice(colon + 1), basicAuth.password);
      return user && password;
    }
    return false;
  }

  mayRead(req: IncomingMessage): boolean {
    if (!this.configured) return true;
    if (this.headerValid(req)) return true;
    const cookie = readCookie(req, SESSION_COOKIE);
    return this.http.token !== undefined && cookie !== undefined && same(cookie, sessionValue(this.http.token));
  }

  /** The token typed into the login form is right. */
  tokenMatches(candidate: string): boolean {
    return this.http.token !== undefined && same(candidate, this.http.token);
  }
}

function readCookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
