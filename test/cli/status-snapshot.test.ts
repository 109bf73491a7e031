import { expect, it } from 'vitest';
import { readStatus } from '../../src/cli/status-snapshot.js';
import { renderStatus } from '../../src/cli/status-view.js';
import { StateStore } from '../../src/store/index.js';
import { useDbPath } from '../helpers/store.js';

const db = useDbPath();

const MiB = 1 << 20;

function observe(store: StateStore, folder: string, relPath: string, size: number): void {
  store.queue.observe(folder, [{ relPath, size, mtimeNs: 1n, ino: 1n, dev: 1n, bucket: 'bkt', key: `${folder}/${relPath}` }]);
}

// What a killed daemon leaves behind, read with no daemon running.
it('totals the configured folders only, counts what an upload has left to send, and shows interrupted uploads without a rate', () => {
  const store = StateStore.open(db.path);
  observe(store, 'main', 'big.bin', 10 * MiB);
  observe(store, 'main', 'small.txt', 1 * MiB);
  observe(store, 'gone', 'old.txt', 5 * MiB); // a folder since removed from the config
  const [big] = store.queue.claimDue(1, { sizeAtLeast: 10 * MiB });
  store.queue.setProgress(big!.id, 4 * MiB);
  store.close();

  const snapshot = readStatus(db.path, [{ name: 'main', path: '/data/main' }], Date.now() + 10_000);

  expect(snapshot.totals).toMatchObject({ queued: 1, uploading: 1, queuedBytes: 7 * MiB });
  expect(snapshot.folders.map((f) => [f.folder, f.inConfig, f.queued])).toEqual([
    ['main', true, 1],
    ['gone', false, 1],
  ]);
  expect(snapshot.uploading).toMatchObject([{ relPath: 'big.bin', bytesDone: 4 * MiB, percent: 40, bytesPerSecond: null }]);
  const text = renderStatus(snapshot);
  expect(text).toContain('total: 1 queued, 1 uploading (7.0 MiB to send)');
  expect(text).toMatch(/^gone .* not in the config \(kept for its return; not in the totals\)$/m);
  expect(text).toContain('interrupted (they resume at the next start):\n  main/big.bin  40.0%  4.0 MiB of 10.0 MiB\n');
});
