import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runRestore, type RestoreEvent, type RestoreRunOptions } from '../../src/daemon/restore/restore-run.js';
import { forEachLimit } from '../../src/lib/for-each-limit.js';
import { defaultRetryPolicy, listObjects, Pacer, withRetries } from '../../src/uploader/index.js';
import { startTestEmulator, type TestEmulator } from '../helpers/emulator.js';
import { tempDir } from '../helpers/fixtures.js';
import { restoreOptions } from '../helpers/restore.js';
import { useStore } from '../helpers/store.js';

/** Two ListObjectsV2 pages and one key more: the listing is three pages, the last of one key. */
const FILES = 2001;
const keyOf = (i: number): string => `p/f${String(i).padStart(4, '0')}.txt`;

describe('restore while the listing pages arrive', () => {
  const db = useStore();
  let emu: TestEmulator;
  let to: ReturnType<typeof tempDir>;
  beforeAll(async () => {
    emu = await startTestEmulator();
    const client = emu.client();
    await forEachLimit(
      Array.from({ length: FILES }, (_, i) => i),
      16,
      async (i) => void (await client.put(keyOf(i), Buffer.from(`file ${i}\n`))),
    );
  });
  afterAll(() => emu.stop());
  beforeEach(() => {
    emu.emulator.faults.clear();
    emu.emulator.requestLog.clear();
    to = tempDir('oss-sync-restore-listing-');
  });
  afterEach(() => to.remove());

  const options = (over: Partial<RestoreRunOptions> = {}): RestoreRunOptions => restoreOptions(emu, db.store.restores, to.path, over);
  const operations = () => emu.emulator.requestLog.entries().map((e) => e.operation);

  // The listing of 10,000 keys is 10 requests: downloading the first page's files while the next
  // is on its way hides the listing behind the downloads.
  it('sends the first GetObject before the last ListObjectsV2 page is answered, and restores every file', async () => {
    emu.emulator.faults.add({ match: { operation: 'ListObjectsV2' }, nth: 3, action: { type: 'latency', ms: 3000 } });
    const events: RestoreEvent[] = [];
    const summary = await runRestore(options({ onEvent: (e) => events.push(e) }));

    expect(summary.entries.filter((e) => e.action === 'restored')).toHaveLength(FILES);
    const ops = operations();
    expect(ops.filter((o) => o === 'ListObjectsV2')).toHaveLength(3);
    // The log is written as each answer ends: GETs logged before the last page was answered.
    expect(ops.indexOf('GetObject')).toBeGreaterThanOrEqual(0);
    expect(ops.indexOf('GetObject')).toBeLessThan(ops.lastIndexOf('ListObjectsV2'));
    expect(readFileSync(join(to.path, 'f2000.txt'), 'utf8')).toBe('file 2000\n');
    expect(readdirSync(to.path)).toHaveLength(FILES);
    // Totals so far after each page, then the whole listing's.
    expect(events.filter((e) => e.type === 'planned')).toEqual([
      { type: 'planned', files: 1000, bytes: expect.any(Number) as number, complete: false },
      { type: 'planned', files: 2000, bytes: expect.any(Number) as number, complete: false },
      { type: 'planned', files: FILES, bytes: expect.any(Number) as number, complete: false },
      { type: 'planned', files: FILES, bytes: expect.any(Number) as number, complete: true },
    ]);
  });

  it('a listing page that fails ends the restore with its error, once the files already started are done', async () => {
    emu.emulator.faults.add({
      match: { operation: 'ListObjectsV2' },
      nth: 2,
      action: { type: 'error', status: 403, code: 'AccessDenied' },
    });
    await expect(runRestore(options())).rejects.toThrow(/AccessDenied/);
    // The first page's files were handed out before the failure was reached, and finished whole.
    const names = readdirSync(to.path);
    expect(names.filter((n) => n.includes('oss-sync-restore'))).toEqual([]);
    expect(names).toHaveLength(1000);
    expect(existsSync(join(to.path, 'f1000.txt'))).toBe(false);
  });

  it('keeps the listing one page ahead of the downloads, no more', async () => {
    // The first four GETs (one per download slot) held: the pool is full before page 1 is handed out.
    emu.emulator.faults.add({ match: { operation: 'GetObject' }, times: 4, action: { type: 'latency', ms: 2000 } });
    const summary = await runRestore(options());
    expect(summary.entries.filter((e) => e.action === 'restored')).toHaveLength(FILES);
    const ops = operations();
    const lists = ops.flatMap((o, i) => (o === 'ListObjectsV2' ? [i] : []));
    expect(lists).toHaveLength(3);
    // Page 2 was asked for while page 1 waited for the pool; page 3 only once page 1 was handed out.
    expect(lists[1]).toBeLessThan(ops.indexOf('GetObject'));
    expect(ops.slice(0, lists[2]).filter((o) => o === 'GetObject').length).toBeGreaterThan(900);
  });

  it('a retried listing sends the failed page again, not the pages before it', async () => {
    emu.emulator.faults.add({
      match: { operation: 'ListObjectsV2' },
      nth: 2,
      action: { type: 'error', status: 503, code: 'ServiceUnavailable' },
    });
    const retrying = withRetries(
      restoreOptions(emu, db.store.restores, to.path).storage,
      new Pacer({ minDelayMs: 10, maxDelayMs: 50 }),
      defaultRetryPolicy(),
    );
    expect(await listObjects(retrying, emu.bucket, 'p/')).toHaveLength(FILES);
    const pages = emu.emulator.requestLog.entries().filter((e) => e.operation === 'ListObjectsV2');
    expect(pages.map((e) => [e.status, e.query['continuation-token'] === undefined ? 'first' : 'next'])).toEqual([
      [200, 'first'],
      [503, 'next'],
      [200, 'next'],
      [200, 'next'],
    ]);
  });
});
