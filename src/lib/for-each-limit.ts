/**
 * Runs `task` over `items` with at most `limit` in flight; resolves when all have settled (`task`
 * must not throw). Bounded work without a queue library: start-up loads, restores, verify's HEADs.
 */
export async function forEachLimit<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await task(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}
