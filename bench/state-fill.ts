/**
 * Fills a state database as if `oss-sync once` had uploaded every file of a tree: the same walk and
 * fingerprints the daemon's reconcile uses, written through the store's own API (observe, claim,
 * markVerified) in one transaction. For restart and idle benchmarks, which read only local state:
 * 100,000 real uploads on this machine take longer than the whole benchmark should.
 */
import { objectKey } from '../src/daemon/object-key.js';
import { PathFilter } from '../src/daemon/watch/path-filter.js';
import { TreeWalk, type WalkEntry } from '../src/daemon/watch/tree-walker.js';
import { StateStore } from '../src/store/index.js';

export async function fillStateAsUploaded(
  stateDb: string,
  folder: { name: string; path: string; bucket: string; prefix: string },
  /** The ETag recorded for every object (verify compares it with the listing's). */
  etag = '"filled-by-benchmark"',
): Promise<number> {
  const entries: WalkEntry[] = [];
  for await (const batch of new TreeWalk(folder.path, new PathFilter({}))) entries.push(...batch);
  const store = StateStore.open(stateDb);
  try {
    store.transaction(() => {
      store.queue.observe(
        folder.name,
        entries.map((e) => ({ ...e, bucket: folder.bucket, key: objectKey(folder.prefix, e.relPath) })),
      );
      for (const row of store.queue.claimDue(entries.length, { folders: [folder.name] })) {
        const fingerprint = { size: row.size, mtimeNs: row.mtimeNs, ino: row.ino, dev: row.dev };
        store.queue.markVerified(row.id, row.generation, {
          bucket: row.bucket,
          key: row.key,
          etag,
          crc64: '0',
          fingerprint,
        });
      }
    });
  } finally {
    store.close();
  }
  return entries.length;
}
