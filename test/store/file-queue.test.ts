import type Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { reconcileKey, relPathOfReconcileKey, type Observation } from '../../src/store/index.js';
import { useStore } from '../helpers/store.js';

const MTIME = 1_732_500_000_123_456_789n; // beyond 2^53: must survive exactly

function obs(relPath: string, over: Partial<Observation> = {}): Observation {
  return { relPath, size: 10, mtimeNs: MTIME, ino: 42n, dev: 7n, bucket: 'b', key: `p/${relPath}`, ...over };
}

describe('FileQueue', () => {
  const ctx = useStore();

  it('queues new files once and leaves unchanged ones alone', () => {
    const { store } = ctx;
    expect(store.queue.observe('f', [obs('a.txt'), obs('b.txt')])).toBe(2);
    expect(store.queue.observe('f', [obs('a.txt'), obs('b.txt')])).toBe(0);
    const row = store.queue.find('f', 'a.txt');
    expect(row?.state).toBe('queued');
    expect(row?.mtimeNs).toBe(MTIME);
  });

  it('re-queues a file whose size, mtime, inode or target key changed', () => {
    const { store } = ctx;
    store.queue.observe('f', [obs('a'), obs('b'), obs('c'), obs('d')]);
    const claimed = store.queue.claimDue(10);
    for (const r of claimed)
      store.queue.markVerified(r.id, r.generation, { bucket: r.bucket, key: r.key, etag: '"E"', crc64: '1', fingerprint: r });
    expect(
      store.queue.observe('f', [
        obs('a', { size: 11 }),
        obs('b', { mtimeNs: MTIME + 1n }),
        obs('c', { ino: 43n }),
        obs('d', { key: 'q/d' }),
      ]),
    ).toBe(4);
    expect(['a', 'b', 'c', 'd'].map((p) => store.queue.find('f', p)?.state)).toEqual(['queued', 'queued', 'queued', 'queued']);
  });

  it('claims due rows once, in order, and skips rows waiting for back-off', () => {
    const { store } = ctx;
    store.queue.observe('f', [obs('1'), obs('2'), obs('3')]);
    const first = store.queue.claimDue(1);
    expect(first.map((r) => r.relPath)).toEqual(['1']);
    store.queue.markRetry(first[0]!.id, first[0]!.generation, 'boom', Date.now() + 60_000);
    const rest = store.queue.claimDue(10);
    expect(rest.map((r) => r.relPath)).toEqual(['2', '3']);
    expect(store.queue.claimDue(10)).toEqual([]);
    expect(store.queue.find('f', '1')).toMatchObject({ state: 'queued', attempts: 1, lastError: 'boom' });
  });

  it('keeps a lane for small files', () => {
    const { store } = ctx;
    store.queue.observe('f', [obs('big', { size: 1_000_000 }), obs('small', { size: 5 })]);
    expect(store.queue.claimDue(5, { sizeBelow: 100 }).map((r) => r.relPath)).toEqual(['small']);
  });

  it('does not mark a file done when it changed while it was uploading', () => {
    const { store } = ctx;
    store.queue.observe('f', [obs('a')]);
    const [row] = store.queue.claimDue(1);
    store.queue.observe('f', [obs('a', { size: 99 })]); // written again mid-upload
    store.queue.markVerified(row!.id, row!.generation, { bucket: 'b', key: 'p/a', etag: '"OLD"', crc64: '5', fingerprint: row! });
    const after = store.queue.find('f', 'a');
    expect(after).toMatchObject({ state: 'queued', size: 99 });
    const [again] = store.queue.claimDue(1);
    store.queue.markVerified(again!.id, again!.generation, { bucket: 'b', key: 'p/a', etag: '"NEW"', crc64: '6', fingerprint: again! });
    expect(store.queue.find('f', 'a')).toMatchObject({ state: 'verified', remoteEtag: '"NEW"' });
  });

  it('marks several files verified in one group commit, each judged on its own', () => {
    const { store } = ctx;
    store.queue.observe('f', [obs('a'), obs('b'), obs('c')]);
    const [a, b, c] = store.queue.claimDue(3);
    store.queue.observe('f', [obs('b', { size: 99 })]); // b written again mid-upload
    store.queue.markVerifiedAll(
      [a!, b!, c!].map((r) => ({
        id: r.id,
        generation: r.generation,
        result: { bucket: r.bucket, key: r.key, etag: '"E"', crc64: '1', fingerprint: { ...r, mtimeNs: MTIME } },
      })),
    );
    expect(store.queue.find('f', 'a')).toMatchObject({ state: 'verified', remoteEtag: '"E"' });
    expect(store.queue.find('f', 'b')).toMatchObject({ state: 'queued', size: 99 }); // its new content still to go
    expect(store.queue.find('f', 'c')).toMatchObject({ state: 'verified', remoteEtag: '"E"' });
  });

  it('adopts queued files without a claim; one observed again since it was read stays queued', () => {
    const { store } = ctx;
    store.queue.observe('f', [obs('a'), obs('b'), obs('c')]);
    store.queue.observe('g', [obs('other')]);
    // A page at a time, in queue order.
    const rows = store.queue.queuedIn('f', 0, 2);
    expect(rows.map((r) => r.relPath)).toEqual(['a', 'b']);
    rows.push(...store.queue.queuedIn('f', rows[1]!.id, 2));
    expect(rows.map((r) => r.relPath)).toEqual(['a', 'b', 'c']);
    store.queue.observe('f', [obs('b', { size: 99 })]); // b written again while it was read
    store.queue.markAdopted(
      rows.map((r) => ({
        id: r.id,
        generation: r.generation,
        result: { bucket: r.bucket, key: r.key, etag: '"E"', crc64: '1', fingerprint: { ...r, mtimeNs: MTIME } },
      })),
    );
    expect(store.queue.find('f', 'a')).toMatchObject({ state: 'verified', remoteEtag: '"E"', remoteCrc64: '1', remoteSize: 10 });
    expect(store.queue.find('f', 'b')).toMatchObject({ state: 'queued', size: 99, remoteEtag: null }); // its new content goes up
    expect(store.queue.find('f', 'c')).toMatchObject({ state: 'verified' });
    expect(store.queue.queuedIn('f', 0, 10).map((r) => r.relPath)).toEqual(['b']);
  });

  it("adoption's pages of queued files are read in id order from an index, not by sorting every queued row after the page", () => {
    // With the (state, next_attempt_at) index each page sorted every queued row after it: 600,000
    // queued files took 55 s of the main thread in 600 pages, where one pass takes 2 s.
    const { store } = ctx;
    const db = (store as unknown as { db: Database.Database }).db;
    const prepare = db.prepare.bind(db);
    const prepared: string[] = [];
    db.prepare = ((text: string) => (prepared.push(text), prepare(text))) as typeof db.prepare;
    try {
      store.queue.queuedIn('f', 0, 10);
    } finally {
      db.prepare = prepare;
    }
    const plan = prepare(`EXPLAIN QUERY PLAN ${prepared.at(-1)!}`).all('f', 0, 10) as Array<{ detail: string }>;
    expect(plan.map((p) => p.detail).join('; ')).not.toMatch(/TEMP B-TREE/);
  });

  it('forgets the multipart record in the same transaction that marks the file verified', () => {
    const { store } = ctx;
    store.queue.observe('f', [obs('a')]);
    const [row] = store.queue.claimDue(1);
    store.uploads.begin(row!.id, { uploadId: 'U1', bucket: 'b', key: 'p/a', partSize: 5, partCount: 2, fingerprint: row!, createdAt: 1 });
    store.uploads.ackPart('U1', { partNumber: 1, size: 5, etag: '"X"', crc64: '1' });
    expect(store.uploads.forFile(row!.id)?.parts).toHaveLength(1);
    store.queue.markVerified(row!.id, row!.generation, {
      bucket: 'b',
      key: 'p/a',
      etag: '"E"',
      crc64: '9',
      fingerprint: row!,
      uploadId: 'U1',
    });
    expect(store.uploads.forFile(row!.id)).toBeUndefined();
    expect(store.uploads.count()).toBe(0);
  });

  it('tells a claimer whether the file has a multipart upload recorded', () => {
    const { store } = ctx;
    store.queue.observe('f', [obs('a'), obs('b')]);
    const [a, b] = store.queue.claimDue(2);
    expect([a!.hasUpload, b!.hasUpload]).toEqual([false, false]);
    store.uploads.begin(a!.id, { uploadId: 'U1', bucket: 'b', key: 'p/a', partSize: 5, partCount: 2, fingerprint: a!, createdAt: 1 });
    expect(store.queue.resetInterrupted()).toBe(2);
    const again = store.queue.claimDue(2);
    expect(again.map((r) => [r.relPath, r.hasUpload])).toEqual([
      ['a', true],
      ['b', false],
    ]);
  });

  it('puts interrupted uploads back in the queue at start-up, keeping their parts', () => {
    const { store } = ctx;
    store.queue.observe('f', [obs('a')]);
    const [row] = store.queue.claimDue(1);
    store.uploads.begin(row!.id, { uploadId: 'U1', bucket: 'b', key: 'p/a', partSize: 5, partCount: 2, fingerprint: row!, createdAt: 1 });
    store.uploads.ackPart('U1', { partNumber: 1, size: 5, etag: '"X"', crc64: '1' });
    expect(store.queue.resetInterrupted()).toBe(1);
    expect(store.queue.find('f', 'a')?.state).toBe('queued');
    expect(store.uploads.forFile(row!.id)?.parts.map((p) => p.partNumber)).toEqual([1]);
  });

  it('parks failures and re-queues them on retry, optionally by path', () => {
    const { store } = ctx;
    store.queue.observe('f', [obs('d/x'), obs('d/y'), obs('z')]);
    for (const r of store.queue.claimDue(10)) store.queue.markFailed(r.id, r.generation, 'AccessDenied');
    expect(store.queue.observe('f', [obs('z')])).toBe(0); // unchanged failed file stays parked
    expect(store.queue.retryFailed({ folder: 'f', relPaths: ['d'] })).toBe(2);
    expect(store.queue.find('f', 'z')?.state).toBe('failed');
    expect(store.queue.retryFailed()).toBe(1);
    expect(store.queue.pendingCount(['f'])).toBe(3);
  });

  it("lists a folder's known paths and those under a directory", () => {
    const { store } = ctx;
    store.queue.observe('f', [obs('d/x'), obs('d/sub/y'), obs('d0'), obs('e/x')]);
    expect(store.queue.pathsUnder('f', 'd').sort()).toEqual(['d/sub/y', 'd/x']);
  });

  it('gives a reconcile the key of every known file, or a never-matching one for rows out of step with the destination', () => {
    const { store } = ctx;
    store.queue.observe('f', [
      obs('same'),
      obs('other-bucket', { bucket: 'old' }),
      obs('other-prefix', { key: 'old/other-prefix' }),
      obs('back\\slash', { key: 'p/back\\slash' }),
      obs('old\\slash', { key: 'p/old/slash' }),
      obs('gone'),
    ]);
    for (const r of store.queue.claimDue(10))
      store.queue.markVerified(r.id, r.generation, { bucket: r.bucket, key: r.key, etag: '"E"', crc64: '1', fingerprint: r });
    store.queue.markForDeletion('f', ['gone']);
    const keys = store.queue.reconcileKeys('f', { bucket: 'b', prefix: 'p/' });
    expect([...keys].sort()).toEqual(
      [
        reconcileKey(10, MTIME, 42n, 'same'),
        reconcileKey(10, MTIME, 42n, 'back\\slash'),
        '!/old\\slash', // uploaded under the key an older version made of it: walked again, re-keyed
        '!/other-bucket',
        '!/other-prefix',
        '!/gone',
      ].sort(),
    );
    expect(relPathOfReconcileKey(reconcileKey(10, MTIME, 42n, 'a/b:c/d'))).toBe('a/b:c/d');
    expect(store.queue.reconcileKeys('nothing-here', { bucket: 'b', prefix: 'p/' }).size).toBe(0);
  });

  // The walk's keys come from JavaScript (epochSeconds) or from find; the store's from SQL: one
  // digit apart and every file looks changed at each restart.
  it('writes each mtime in its reconcile keys exactly as a walk does, before 1970 and at the edges of a second too', () => {
    const { store } = ctx;
    const mtimes = [
      MTIME,
      0n,
      1n,
      999_999_999n,
      1_000_000_000n,
      1_000_000_001n,
      -1n,
      -999_999_999n,
      -1_000_000_000n,
      -1_000_000_001n,
      -315_619_199_876_543_211n,
      4_102_444_800_000_000_001n,
    ];
    store.queue.observe(
      't',
      mtimes.map((mtimeNs, i) => obs(`m${i}`, { mtimeNs, key: `p/m${i}` })),
    );
    for (const r of store.queue.claimDue(100))
      store.queue.markVerified(r.id, r.generation, { bucket: r.bucket, key: r.key, etag: '"E"', crc64: '1', fingerprint: r });
    const keys = store.queue.reconcileKeys('t', { bucket: 'b', prefix: 'p/' });
    expect([...keys].sort()).toEqual(mtimes.map((mtimeNs, i) => reconcileKey(10, mtimeNs, 42n, `m${i}`)).sort());
  });

  it('marks mirror deletions, leases them to one worker, and drops the row when done', () => {
    const { store } = ctx;
    store.queue.observe('f', [obs('a')]);
    for (const r of store.queue.claimDue(1))
      store.queue.markVerified(r.id, r.generation, { bucket: r.bucket, key: r.key, etag: '"E"', crc64: '1', fingerprint: r });
    store.queue.markForDeletion('f', ['a']);
    const [del] = store.queue.claimDue(5);
    expect(del?.state).toBe('deleting');
    expect(store.queue.claimDue(5)).toEqual([]);
    store.queue.deleted(del!.id, del!.generation);
    expect(store.queue.find('f', 'a')).toBeUndefined();
  });
});

describe('FileQueue remote facts', () => {
  const ctx = useStore();
  it('remembers what is on OSS for a re-queued file, and forgets it when the target key changes', () => {
    const { store } = ctx;
    store.queue.observe('f', [obs('a')]);
    for (const r of store.queue.claimDue(1))
      store.queue.markVerified(r.id, r.generation, { bucket: r.bucket, key: r.key, etag: '"E"', crc64: '123', fingerprint: r });
    store.queue.observe('f', [obs('a', { mtimeNs: MTIME + 5n })]); // touched
    expect(store.queue.find('f', 'a')).toMatchObject({ state: 'queued', remoteEtag: '"E"', remoteCrc64: '123', remoteSize: 10 });
    store.queue.observe('f', [obs('a', { mtimeNs: MTIME + 5n, key: 'other/a' })]); // prefix changed
    expect(store.queue.find('f', 'a')).toMatchObject({ state: 'queued', remoteEtag: null, remoteCrc64: null, remoteSize: null });
  });
});

describe('FileQueue under races found in review', () => {
  const ctx = useStore();

  it('does not credit an upload to a row whose target key changed meanwhile (prefix changed by a reload)', () => {
    const { store } = ctx;
    store.queue.observe('f', [obs('a')]);
    const [row] = store.queue.claimDue(1);
    store.queue.observe('f', [obs('a', { key: 'new/a' })]);
    store.queue.markVerified(row!.id, row!.generation, { bucket: 'b', key: 'p/a', etag: '"OLD"', crc64: '5', fingerprint: row! });
    expect(store.queue.find('f', 'a')).toMatchObject({ state: 'queued', key: 'new/a', remoteEtag: null, remoteCrc64: null });
  });

  it('keeps a row re-created during its remote delete, and forgets what was uploaded before', () => {
    const { store } = ctx;
    store.queue.observe('f', [obs('a')]);
    for (const r of store.queue.claimDue(1))
      store.queue.markVerified(r.id, r.generation, { bucket: r.bucket, key: r.key, etag: '"E"', crc64: '1', fingerprint: r });
    store.queue.markForDeletion('f', ['a']);
    const [del] = store.queue.claimDue(1);
    store.queue.observe('f', [obs('a', { ino: 99n })]); // re-created while the DELETE is in flight
    expect(store.queue.claimDue(5, { exclude: [del!.id] })).toEqual([]); // not claimed twice meanwhile
    store.queue.deleted(del!.id, del!.generation);
    expect(store.queue.find('f', 'a')).toMatchObject({ state: 'queued', remoteCrc64: null });
  });

  it('does not park new content for a failure of the old', () => {
    const { store } = ctx;
    store.queue.observe('f', [obs('a')]);
    const [row] = store.queue.claimDue(1);
    store.queue.observe('f', [obs('a', { size: 11 })]);
    store.queue.markFailed(row!.id, row!.generation, 'AccessDenied');
    expect(store.queue.find('f', 'a')).toMatchObject({ state: 'queued', size: 11 });
  });
});

describe('FileQueue retry and orphans', () => {
  const ctx = useStore();
  it('retries exactly the paths under a directory, case-sensitively', () => {
    const { store } = ctx;
    store.queue.observe('f', [obs('docs/a'), obs('Docs/b'), obs('docs_x/c')]);
    for (const r of store.queue.claimDue(10)) store.queue.markFailed(r.id, r.generation, 'boom');
    expect(store.queue.retryFailed({ folder: 'f', relPaths: ['docs'] })).toBe(1);
    expect(store.queue.find('f', 'Docs/b')?.state).toBe('failed');
  });

  it('counts a multipart record of a file verified without it as an orphan to abort', () => {
    const { store } = ctx;
    store.queue.observe('f', [obs('a')]);
    const [row] = store.queue.claimDue(1);
    store.uploads.begin(row!.id, { uploadId: 'LEFT', bucket: 'b', key: 'p/a', partSize: 5, partCount: 2, fingerprint: row!, createdAt: 1 });
    store.queue.markVerified(row!.id, row!.generation, { bucket: 'b', key: 'p/a', etag: '"E"', crc64: '1', fingerprint: row! });
    expect(store.uploads.orphans().map((u) => u.uploadId)).toEqual(['LEFT']);
  });
});
