/**
 * A file that never stops growing (a live log) is backed up as a true prefix snapshot, at a bounded
 * cost: the README's "goes up as it is after fifteen windows".
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createSyncFixture, type SyncFixture } from '../helpers/sync-fixture.js';
import { waitFor } from '../helpers/wait.js';
import { startWriter, stopWriter } from '../helpers/writer-child.js';

const MiB = 1024 * 1024;

let fx: SyncFixture | undefined;
afterEach(async () => {
  await stopWriter();
  await fx?.cleanup();
  fx = undefined;
});

const APPENDER = `
const fs = require('node:fs');
const paths = process.argv.slice(1);
// INITIAL_BYTES: the files are created here, 100 ms before the first append (never settled in between).
if (process.env.INITIAL_BYTES) for (const p of paths) fs.writeFileSync(p, Buffer.alloc(Number(process.env.INITIAL_BYTES), 'x'));
let n = 0;
setInterval(() => {
  n++;
  for (const p of paths) fs.appendFileSync(p, ('line ' + n + ' ').padEnd(1023, '.') + '\\n');
}, 100);`;

const REWRITER = `
const fs = require('node:fs');
const fd = fs.openSync(process.argv[1], 'r+');
let n = 0;
setInterval(() => fs.writeSync(fd, String(++n).padStart(12, '0'), 0), 100);`;

/** Rewrites the first 12 bytes of the file in place (a counter) every 100 ms: same size, new bytes. */
function keepRewriting(path: string): void {
  void startWriter(REWRITER, [path]);
}

/** The REWRITER's counter in the file, 0 before it began. */
function rewrites(path: string): number {
  return Number(readFileSync(path).subarray(0, 12).toString()) || 0;
}

/** Appends 1 KiB to each file every 100 ms, until stopped. */
function keepAppending(paths: string[], initialBytes?: number): void {
  void startWriter(APPENDER, paths, initialBytes !== undefined ? { INITIAL_BYTES: String(initialBytes) } : {});
}

function rowOf(stateDb: string, relPath: string): { state: string; size: number; remote_size: number | null } | undefined {
  const db = new Database(stateDb, { readonly: true });
  try {
    return db.prepare('SELECT state, size, remote_size FROM files WHERE rel_path = ?').get(relPath) as
      { state: string; size: number; remote_size: number | null } | undefined;
  } finally {
    db.close();
  }
}

describe('a file that never stops growing (a live log), in `run`', () => {
  it(
    'goes up as a true prefix snapshot, later snapshots back off, and the whole file goes up once it stops',
    { timeout: 180_000 },
    async () => {
      // big.log goes up in parts, small.log in one streamed PutObject; both kept on the wire by a throttle.
      fx = await createSyncFixture([{ name: 'main' }], { part_size: '1MiB', multipart_threshold: '4MiB' });
      const emulator = fx.emu.emulator;
      for (const operation of ['UploadPart', 'PutObject'] as const) {
        emulator.faults.add({ match: { operation }, times: Infinity, action: { type: 'throttle', bytesPerSecond: MiB } });
      }
      const files = { 'big.log': 6 * MiB, 'small.log': 3 * MiB };
      const paths = Object.keys(files).map((name) => join(fx!.folder('main'), name));
      for (const [name, size] of Object.entries(files)) writeFileSync(join(fx.folder('main'), name), Buffer.alloc(size, 'x'));
      keepAppending(paths);
      const run = fx.spawnCli(['run', '--config', fx.configPath]);

      // Held back fifteen windows, then each goes up as it stands: a true prefix of the growing file.
      for (const [name, size] of Object.entries(files)) {
        const object = await waitFor(() => fx!.remote(`main/${name}`), { timeoutMs: 60_000, what: `a snapshot of ${name}` });
        expect(object.length).toBeGreaterThanOrEqual(size);
        const file = readFileSync(join(fx.folder('main'), name));
        expect(file.length).toBeGreaterThan(object.length); // it grew meanwhile ...
        expect(file.subarray(0, object.length).equals(object)).toBe(true); // ... and the object is its prefix
        // Honest: the row is not verified; what it records is what was uploaded (recorded just after
        // the object is stored, so waited for).
        const row = await waitFor(() => (rowOf(fx!.stateDb, name)?.remote_size != null ? rowOf(fx!.stateDb, name) : undefined), {
          what: `${name}'s snapshot recorded`,
        });
        expect(row?.state).not.toBe('verified');
        expect(row?.remote_size).toBeGreaterThanOrEqual(size);
      }
      expect(run.stdout.join('\n')).toContain('uploaded a snapshot of a file still being written');

      // Keep it live for ~15 s more: later snapshots back off (1, 2, 4, 8 s here), so the bytes
      // sent stay a small multiple of the file's size instead of a stream of restarts.
      const grown = statSync(paths[0]!).size + 150 * 1024;
      await waitFor(() => statSync(paths[0]!).size >= grown, { timeoutMs: 60_000, what: 'the log to grow by 150 KiB' });
      const requests = emulator.requestLog.entries();
      for (const name of Object.keys(files)) {
        const sent = requests.filter((e) => e.key === `main/${name}` && (e.operation === 'UploadPart' || e.operation === 'PutObject'));
        const bytes = sent.reduce((sum, e) => sum + e.bytesReceived, 0);
        const tries = requests.filter(
          (e) => e.key === `main/${name}` && (e.operation === 'InitiateMultipartUpload' || e.operation === 'PutObject'),
        ).length;
        expect(bytes, name).toBeLessThanOrEqual(7 * statSync(join(fx.folder('main'), name)).size);
        expect(tries, name).toBeLessThanOrEqual(6);
      }

      // Once it stops, it settles and goes up whole: verified, the object equal to the file.
      await stopWriter();
      for (const name of Object.keys(files)) {
        await waitFor(() => rowOf(fx!.stateDb, name)?.state === 'verified', { timeoutMs: 60_000, what: `${name} verified` });
        expect((await fx.remote(`main/${name}`))?.equals(readFileSync(join(fx.folder('main'), name)))).toBe(true);
      }
    },
  );

  it('that begins to be written while the daemon watches goes up as a prefix snapshot after the hold', { timeout: 120_000 }, async () => {
    fx = await createSyncFixture([{ name: 'main' }], { multipart_threshold: '4MiB' });
    const run = fx.spawnCli(['run', '--config', fx.configPath]);
    await run.waitForLog((r) => r.msg === 'watching folder');
    const log = join(fx.folder('main'), 'app.log');
    keepAppending([log], 2 * MiB);
    // Written to every 100 ms, it never settles: after fifteen windows it is queued as it is.
    const object = await waitFor(() => fx!.remote('main/app.log'), { timeoutMs: 60_000, what: 'a snapshot of app.log' });
    expect(object.length).toBeGreaterThanOrEqual(2 * MiB);
    expect(readFileSync(log).subarray(0, object.length).equals(object)).toBe(true);
  });

  it('rewritten in place is never completed as a torn mix, and its tries back off', { timeout: 120_000 }, async () => {
    fx = await createSyncFixture([{ name: 'main' }], { part_size: '1MiB', multipart_threshold: '2MiB' });
    const emulator = fx.emu.emulator;
    emulator.faults.add({ match: { operation: 'UploadPart' }, times: Infinity, action: { type: 'throttle', bytesPerSecond: 2 * MiB } });
    const db = join(fx.folder('main'), 'table.db');
    writeFileSync(db, Buffer.alloc(3 * MiB, 'x'));
    keepRewriting(db);
    await waitFor(() => rewrites(db) > 0, { what: 'the rewriter to begin' });
    fx.spawnCli(['run', '--config', fx.configPath]);
    const tries = (): number => emulator.requestLog.entries().filter((e) => e.operation === 'InitiateMultipartUpload').length;
    await waitFor(() => tries() > 0, { timeoutMs: 60_000, what: 'the first try' });
    // ~16 s of rewrites from the first try on: each try takes ~1 s here, so without a back-off ~15
    // tries would start; backing off from the window (1, 2, 4, 8 s), about five.
    const from = rewrites(db);
    await waitFor(() => rewrites(db) >= from + 160, { timeoutMs: 60_000, what: '16 s of rewrites' });
    expect(tries()).toBeLessThanOrEqual(7);
    expect(emulator.requestLog.entries().filter((e) => e.operation === 'CompleteMultipartUpload')).toEqual([]);
    expect(rowOf(fx.stateDb, 'table.db')?.state).not.toBe('verified');
  });
});
