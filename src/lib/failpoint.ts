/**
 * Test failpoints: OSS_SYNC_FAILPOINT=`NAME:VALUE` (e.g. `watch-limit:ENOSPC`) gives VALUE to the point NAME; undefined
 * unless set. Only for windows no test can reach from outside (a row it polls, a request the emulator holds).
 */
export function failpointValue(name: string): string | undefined {
  const set = process.env.OSS_SYNC_FAILPOINT;
  return set?.startsWith(`${name}:`) ? set.slice(name.length + 1) : undefined;
}
