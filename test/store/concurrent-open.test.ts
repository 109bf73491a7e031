import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { SCHEMA_VERSION, StateStore } from '../../src/store/index.js';
import { tempDir } from '../helpers/fixtures.js';

const STORE = pathToFileURL(join(import.meta.dirname, '../../dist/src/store/index.js')).href;

let temp: ReturnType<typeof tempDir> | undefined;
afterEach(() => temp?.remove());

/** Opens the store in a process of its own once `go` exists; resolves with its exit code and stderr. */
function openInChild(dbPath: string): Promise<{ code: number | null; stderr: string }> {
  const script = `
    const { StateStore } = await import(${JSON.stringify(STORE)});
    StateStore.open(process.argv[1]).close();`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script, dbPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stderr })));
}

// `status`, `retry` and the daemon may all open a database that does not exist yet at the same moment.
it('creates a new database once when several processes open it at the same moment', async () => {
  temp = tempDir();
  const dbPath = join(temp.path, 'state', 'state.db');
  const results = await Promise.all(Array.from({ length: 6 }, () => openInChild(dbPath)));
  expect(results.filter((r) => r.code !== 0)).toEqual([]);
  const db = new Database(dbPath, { readonly: true });
  expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
  db.close();
  const store = StateStore.open(dbPath);
  expect(store.integrityCheck()).toEqual(['ok']);
  store.close();
});
