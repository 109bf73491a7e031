/**
 * A state database that cannot be opened for writing says which path, which config key and why,
 * instead of SQLite's bare "unable to open database file": a read-only file system, a permission,
 * a path through a file.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StateStore } from '../../src/store/index.js';
import { tempDir } from '../helpers/fixtures.js';

const STORE = join(import.meta.dirname, '../../dist/src/store/index.js');
const NOBODY = 65534;

/** Node code printing the error of opening each path (store, then lock), one line each. */
function openScript(paths: string[]): string {
  return `const { StateStore, InstanceLock } = await import(${JSON.stringify(STORE)});
for (const path of ${JSON.stringify(paths)}) {
  for (const open of [() => StateStore.open(path).close(), () => InstanceLock.tryAcquire(path)?.release()]) {
    try { open(); console.log('opened'); } catch (e) { console.log(e.message); }
  }
}`;
}

/** Whether this machine lets root mount in a private mount namespace (CI runs as root). */
function canMount(): boolean {
  if (process.getuid?.() !== 0) return false;
  return (
    spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', 'mount -t tmpfs tmpfs /mnt'], { encoding: 'utf8' }).status === 0
  );
}

describe('opening the state database', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => dir.remove());

  it.skipIf(!canMount())('on a read-only file system names the path, state_db and the cause, for a new and an existing database', () => {
    const mnt = join(dir.path, 'mnt');
    const fresh = join(mnt, 'new', 'state.db');
    const existing = join(mnt, 'state.db');
    // tmpfs mounted read-write, a database made on it, then remounted read-only (as the kernel does after an I/O error)
    const shell = `mkdir -p ${mnt} && mount -t tmpfs tmpfs ${mnt} && mkdir ${mnt}/new && chmod 700 ${mnt}/new &&
      ${process.execPath} --input-type=module -e 'const { StateStore } = await import(${JSON.stringify(STORE)}); StateStore.open(${JSON.stringify(existing)}).close();' &&
      mount -o remount,ro ${mnt} && exec ${process.execPath} --input-type=module -e "$SCRIPT"`;
    const result = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', shell], {
      encoding: 'utf8',
      env: { ...process.env, SCRIPT: openScript([fresh, existing]) },
    });
    expect(result.stderr).toBe('');
    expect(result.stdout.trim().split('\n')).toEqual([
      `cannot open the state database (state_db) ${fresh} for writing: read-only file system`,
      `cannot open the lock file of the state database (state_db) ${fresh}.lock for writing: read-only file system`,
      `cannot open the state database (state_db) ${existing} for writing: read-only file system`,
      `cannot open the lock file of the state database (state_db) ${existing}.lock for writing: read-only file system`,
    ]);
  });

  it.skipIf(process.getuid?.() !== 0)('without permission names the path, state_db and the cause', () => {
    // dir is root's (0700): nobody may not create the folder in it
    const path = join(dir.path, 'state', 'state.db');
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', openScript([path])], {
      encoding: 'utf8',
      uid: NOBODY,
      gid: NOBODY,
    });
    expect(result.stdout.trim().split('\n')).toEqual([
      `cannot create the folder ${join(dir.path, 'state')} of the state database (state_db) ${path}: permission denied`,
      `cannot create the folder ${join(dir.path, 'state')} of the lock file of the state database (state_db) ${path}.lock: permission denied`,
    ]);
  });

  it('under a file where a folder should be names the path and the cause', () => {
    writeFileSync(join(dir.path, 'file'), '');
    const path = join(dir.path, 'file', 'state.db');
    expect(() => StateStore.open(path)).toThrow(
      `cannot create the folder ${join(dir.path, 'file')} of the state database (state_db) ${path}: a part of the path is not a folder`,
    );
  });
});
