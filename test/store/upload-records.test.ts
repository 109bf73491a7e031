import { describe, expect, it } from 'vitest';
import type { Observation } from '../../src/store/index.js';
import { useStore } from '../helpers/store.js';

const MTIME = 1_732_500_000_123_456_789n;

function obs(relPath: string): Observation {
  return { relPath, size: 10, mtimeNs: MTIME, ino: 42n, dev: 7n, bucket: 'b', key: `p/${relPath}` };
}

describe('UploadRecords.ofFoldersOtherThan', () => {
  const ctx = useStore();

  function beginFor(folder: string, relPath: string, uploadId: string, createdAt: number): void {
    ctx.store.queue.observe(folder, [obs(relPath)]);
    const row = ctx.store.queue.find(folder, relPath)!;
    ctx.store.uploads.begin(row.id, { uploadId, bucket: 'b', key: `p/${relPath}`, partSize: 5, partCount: 2, fingerprint: row, createdAt });
  }

  it('lists the uploads of files whose folder is not among those given, with the folder and path', () => {
    beginFor('kept', 'a.bin', 'UP-KEPT', 1);
    beginFor('gone', 'b.bin', 'UP-GONE-1', 2);
    beginFor('gone', 'dir/c.bin', 'UP-GONE-2', 3);
    beginFor('other', 'd.bin', 'UP-OTHER', 4);
    const found = ctx.store.uploads.ofFoldersOtherThan(['kept', 'other']);
    expect(found.map((u) => [u.uploadId, u.folder, u.relPath, u.key])).toEqual([
      ['UP-GONE-1', 'gone', 'b.bin', 'p/b.bin'],
      ['UP-GONE-2', 'gone', 'dir/c.bin', 'p/dir/c.bin'],
    ]);
    expect(found[0]!.fingerprint.mtimeNs).toBe(MTIME);
    expect(ctx.store.uploads.ofFoldersOtherThan(['kept', 'gone', 'other'])).toEqual([]);
    expect(ctx.store.uploads.ofFoldersOtherThan([]).map((u) => u.uploadId)).toEqual(['UP-KEPT', 'UP-GONE-1', 'UP-GONE-2', 'UP-OTHER']);
  });

  it('leaves out uploads whose file row is gone (those are orphans()) and forgotten ones', () => {
    beginFor('gone', 'b.bin', 'UP-GONE', 1);
    beginFor('gone', 'x.bin', 'UP-FILE-FORGOTTEN', 2);
    ctx.store.queue.forget('gone', ['x.bin']);
    expect(ctx.store.uploads.ofFoldersOtherThan(['kept']).map((u) => u.uploadId)).toEqual(['UP-GONE']);
    ctx.store.uploads.forget('UP-GONE');
    expect(ctx.store.uploads.ofFoldersOtherThan(['kept'])).toEqual([]);
    expect(ctx.store.uploads.orphans().map((u) => u.uploadId)).toEqual(['UP-FILE-FORGOTTEN']);
  });
});

describe('UploadRecords.isOrphan', () => {
  const ctx = useStore();

  // The sweeper checks again just before each abort: a file that came back takes its upload up again.
  it('follows the file: an orphan while it is being deleted, not once it is queued again', () => {
    ctx.store.queue.observe('mirror', [obs('big.bin')]);
    const row = ctx.store.queue.find('mirror', 'big.bin')!;
    ctx.store.uploads.begin(row.id, {
      uploadId: 'UP-1',
      bucket: 'b',
      key: 'p/big.bin',
      partSize: 5,
      partCount: 2,
      fingerprint: row,
      createdAt: 1,
    });
    expect(ctx.store.uploads.isOrphan('UP-1')).toBe(false);
    ctx.store.queue.markForDeletion('mirror', ['big.bin']);
    expect(ctx.store.uploads.isOrphan('UP-1')).toBe(true);
    ctx.store.queue.observe('mirror', [{ ...obs('big.bin'), size: 11 }]); // it is back
    expect(ctx.store.uploads.isOrphan('UP-1')).toBe(false);
    ctx.store.queue.forget('mirror', ['big.bin']);
    expect(ctx.store.uploads.isOrphan('UP-1')).toBe(true);
    expect(ctx.store.uploads.isOrphan('NO-SUCH-UPLOAD')).toBe(false);
  });
});
