/** A failpoint that carries a value, `NAME:VALUE` (e.g. `watch-limit:ENOSPC`); undefined unless set. */
export function failpointValue(name: string): string | undefined {
  const set = process.env.OSS_SYNC_FAILPOINT;
  return set?.startsWith(`${name}:`) ? set.slice(name.length + 1) : undefined;
}

/**
 * A failpoint that stops the process (SIGSTOP) when OSS_SYNC_FAILPOINT is `NAME:stop`, each time it
 * is passed: a test acts on the frozen process (swaps a file under it), then sends SIGCONT. Nothing
 * races: whatever the test does happens between two instructions of ours.
 */
export function failpointStop(name: string): void {
  if (process.env.OSS_SYNC_FAILPOINT === `${name}:stop`) process.kill(process.pid, 'SIGSTOP');
}
