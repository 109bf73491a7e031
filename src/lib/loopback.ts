import { isIP } from 'node:net';

/**
 * True when binding `host` keeps the server on this machine: 127.0.0.0/8, ::1 (also as
 * ::ffff:127.x.y.z) or localhost. 0.0.0.0, :: and every other address are reachable from outside.
 */
export function isLoopbackHost(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (bare.toLowerCase() === 'localhost') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  if (isIP(bare) === 6) {
    const lower = bare.toLowerCase();
    return lower === '::1' || lower === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(lower);
  }
  return false;
}
