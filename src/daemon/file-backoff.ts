/**
 * How long a file waits before its next attempt after a retryable failure: exponential from 2 s,
 * capped at 10 min, with "equal jitter" (half fixed, half random) so many files that failed
 * together (a network outage) do not come back together. Pure: the random source is a parameter.
 */
export function fileRetryDelayMs(attempt: number, random: () => number = Math.random): number {
  const BASE_MS = 2_000;
  const CAP_MS = 10 * 60_000;
  const exp = Math.min(CAP_MS, BASE_MS * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp / 2 + random() * (exp / 2));
}
