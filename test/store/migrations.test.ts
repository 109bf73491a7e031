import Database from 'better-sqlite3';
import { expect, it } from 'vitest';
import { SCHEMA_VERSION, StateStore, type Observation } from '../../src/store/index.js';
import { useDbPath } from '../helpers/store.js';

const db = useDbPath();

function obs(relPath: string, key: string): Observation {
  return { relPath, size: 10, mtimeNs: 1n, ino: 1n, dev: 1n, bucket: 'b', key };
}

function verify(store: StateStore, folder: string, relPath: string): void {
  const row = store.queue.find(folder, relPath)!;
  store.queue.markVerified(row.id, row.generation, { bucket: 'b', key: row.key, etag: 'E', crc64: '1', fingerprint: row });
}

// Keys used to turn '\' into '/': `a\b.txt` may have overwritten the object of `a/b.txt`.
it('version 4 sends again a file whose object a name with a backslash may have overwritten, and nothing else', () => {
  const store = StateStore.open(db.path);
  store.queue.observe('main', [obs('a\\b.txt', 'p/a/b.txt'), obs('a/b.txt', 'p/a/b.txt'), obs('c.txt', 'p/c.txt')]);
  store.queue.observe('other', [obs('a/b.txt', 'q/a/b.txt')]);
  expect(store.queue.claimDue(10)).toHaveLength(4); // uploading, then verified: as the worker does
  for (const [folder, relPath] of [
    ['main', 'a\\b.txt'],
    ['main', 'a/b.txt'],
    ['main', 'c.txt'],
    ['other', 'a/b.txt'],
  ] as const)
    verify(store, folder, relPath);
  expect(store.queue.find('main', 'a/b.txt')?.state).toBe('verified');
  store.close();
  const old = new Database(db.path);
  old.exec('ALTER TABLE files DROP COLUMN wait_ms'); // added by version 5
  old.pragma('user_version = 3'); // as an older oss-sync left it
  old.close();

  const upgraded = StateStore.open(db.path);
  try {
    expect(upgraded.queue.find('main', 'a/b.txt')).toMatchObject({ state: 'queued', remoteCrc64: null, remoteEtag: null });
    expect(upgraded.queue.find('main', 'a\\b.txt')?.state).toBe('verified'); // its key is fixed by the next walk
    expect(upgraded.queue.find('main', 'c.txt')?.state).toBe('verified');
    expect(upgraded.queue.find('other', 'a/b.txt')?.state).toBe('verified');
  } finally {
    upgraded.close();
  }
  const check = new Database(db.path, { readonly: true });
  expect(check.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
  check.close();
});
