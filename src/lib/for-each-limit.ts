/**
 * Runs `task` over `items` with at most `limit` in flight; resolves when all have settled (`task`
 * must not throw). Bounded work without a queue library: start-up loads, restores, verify's HEADs.
 * An async iterable is pulled one item at a time, as a task frees its slot (a restore's listing
 * pages); should it fail, the tasks already started settle first, then its error is thrown.
 */
export async function forEachLimit<T>(
  items: Iterable<T> | AsyncIterable<T>,
  limit: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  const source: Iterator<T> | AsyncIterator<T> = Symbol.asyncIterator in items ? items[Symbol.asyncIterator]() : items[Symbol.iterator]();
  const worker = async (): Promise<void> => {
    for (let r = await source.next(); !r.done; r = await source.next()) await task(r.value);
  };
  const settled = await Promise.allSettled(Array.from({ length: Math.max(1, limit) }, worker));
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed) throw failed.reason;
}
