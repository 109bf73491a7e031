import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VerifiedBatch } from '../../src/daemon/verified-batch.js';
import { StateStore, type FileRow, type VerifiedFile } from '../../src/store/index.js';
import { queueFiles, useStore } from '../helpers/store.js';

const MTIME = 1_732_500_000_123_456_789n;

function verified(row: FileRow): VerifiedFile {
  return {
    id: row.id,
    generation: row.generation,
    result: { bucket: row.bucket, key: row.key, etag: '"E"', crc64: '7', fingerprint: row },
  };
}

describe('VerifiedBatch (group commit of finished uploads)', () => {
  const ctx = useStore();

  function claimed(names: string[]): FileRow[] {
    const { store } = ctx;
    queueFiles(store, 'f', names, MTIME);
    return store.queue.claimDue(names.length);
  }

  /** The state as another process (`oss-sync status`, or the next start after a crash) reads it. */
  function committedState(relPath: string): string | undefined {
    const reader = StateStore.open(join(ctx.dir, 'state.db'));
    try {
      return reader.queue.find('f', relPath)?.state;
    } finally {
      reader.close();
    }
  }

  it('resolves each file only once its row is committed, several files in one transaction', async () => {
    const rows = claimed(['a', 'b', 'c']);
    const batch = new VerifiedBatch(ctx.store.queue, () => undefined);
    const seenAtResolve: Array<string | undefined> = [];
    const pending = rows.map((r) => batch.add(verified(r)).then(() => seenAtResolve.push(committedState(r.relPath))));
    // Nothing is committed before the batch flushes: a crash now re-sends these files, never loses them.
    expect(['a', 'b', 'c'].map(committedState)).toEqual(['uploading', 'uploading', 'uploading']);
    await Promise.all(pending);
    expect(seenAtResolve).toEqual(['verified', 'verified', 'verified']);
  });

  it('commits at once when the batch is full, and on flush() (before the store closes)', async () => {
    const rows = claimed(Array.from({ length: 257 }, (_, i) => `f${i}`)); // a full batch is 256 files
    const batch = new VerifiedBatch(ctx.store.queue, () => undefined);
    const first = Promise.all(rows.slice(0, 256).map((r) => batch.add(verified(r))));
    expect(committedState('f0')).toBe('verified'); // the 256th add filled the batch
    const last = batch.add(verified(rows[256]!));
    expect(committedState('f256')).toBe('uploading');
    batch.flush();
    expect(committedState('f256')).toBe('verified');
    await Promise.all([first, last]);
  });

  it('fails every file of a batch whose commit fails, so none is logged as uploaded', async () => {
    const rows = claimed(['a', 'b']);
    const batch = new VerifiedBatch(ctx.store.queue, () => undefined);
    const results = rows.map((r) =>
      batch.add(verified(r)).then(
        () => 'resolved',
        (err: Error) => err.message,
      ),
    );
    ctx.store.close();
    batch.flush();
    const outcomes = await Promise.all(results);
    expect(outcomes.every((o) => /not open/i.test(o))).toBe(true);
  });
});
