import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { InstanceLock, SCHEMA_VERSION, StateStore } from '../../src/store/index.js';
import { useDbPath } from '../helpers/store.js';

const storeModule = pathToFileURL(join(__dirname, '../../dist/src/store/index.js')).href;

/** Runs a script in a child node process (built store, real SQLite) and returns its result. */
function child(script: string) {
  return spawnSync(process.execPath, ['--input-type=module', '-e', `import * as S from ${JSON.stringify(storeModule)};\n${script}`], {
    encoding: 'utf8',
  });
}

describe('state database durability', () => {
  const state = useDbPath();

  it('keeps an upload ID and acknowledged part recorded just before a kill -9', () => {
    const r = child(`
      const s = S.StateStore.open(${JSON.stringify(state.path)});
      s.queue.observe('f', [{ relPath: 'a', size: 10, mtimeNs: 1n, ino: 1n, dev: 1n, bucket: 'b', key: 'a' }]);
      const [row] = s.queue.claimDue(1);
      s.uploads.begin(row.id, { uploadId: 'UP', bucket: 'b', key: 'a', partSize: 5, partCount: 2, fingerprint: row, createdAt: 1 });
      s.uploads.ackPart('UP', { partNumber: 2, size: 5, etag: '"ABC"', crc64: '77' });
      process.kill(process.pid, 'SIGKILL');
    `);
    expect(r.signal).toBe('SIGKILL');
    const store = StateStore.open(state.path);
    try {
      expect(store.queue.resetInterrupted()).toBe(1);
      const row = store.queue.find('f', 'a')!;
      expect(store.uploads.forFile(row.id)).toMatchObject({ uploadId: 'UP', parts: [{ partNumber: 2, etag: '"ABC"', crc64: '77' }] });
      expect(store.integrityCheck()).toEqual(['ok']);
    } finally {
      store.close();
    }
  });

  it('lets one process hold the instance lock, and frees it when that process is killed', () => {
    const mine = InstanceLock.tryAcquire(state.path);
    expect(mine).toBeDefined();
    const other = child(`console.log(S.InstanceLock.tryAcquire(${JSON.stringify(state.path)}) ? 'acquired' : 'busy');`);
    expect(other.stdout.trim()).toBe('busy');
    mine!.release();
    const killed = child(`S.InstanceLock.tryAcquire(${JSON.stringify(state.path)}); process.kill(process.pid, 'SIGKILL');`);
    expect(killed.signal).toBe('SIGKILL');
    expect(InstanceLock.isHeld(state.path)).toBe(false);
  });

  it('lets a starting daemon wait out a short hold of the lock (a status probe), but not a running daemon', async () => {
    const probe = InstanceLock.tryAcquire(state.path)!;
    setTimeout(() => probe.release(), 200);
    const daemon = await InstanceLock.acquire(state.path, 5_000);
    expect(daemon).toBeDefined();
    expect(await InstanceLock.acquire(state.path, 300)).toBeUndefined(); // held for real: refused after the wait
    daemon!.release();
  });

  it('refuses a database written by a newer oss-sync, naming the file', () => {
    const db = new Database(state.path);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    expect(() => StateStore.open(state.path)).toThrow(new RegExp(`${state.path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}.*newer`));
  });

  it('lets a second connection read while the daemon holds a write transaction', () => {
    const writer = StateStore.open(state.path);
    const reader = StateStore.open(state.path);
    try {
      writer.queue.observe('f', [{ relPath: 'a', size: 1, mtimeNs: 1n, ino: 1n, dev: 1n, bucket: 'b', key: 'a' }]);
      writer.transaction(() => {
        writer.queue.observe('f', [{ relPath: 'b', size: 1, mtimeNs: 1n, ino: 1n, dev: 1n, bucket: 'b', key: 'b' }]);
        // Mid-transaction, status still sees the committed state.
        expect(reader.report.folderCounts()).toEqual([expect.objectContaining({ folder: 'f', queued: 1 })]);
      });
      expect(reader.report.folderCounts()).toEqual([expect.objectContaining({ folder: 'f', queued: 2 })]);
    } finally {
      reader.close();
      writer.close();
    }
  });
});
