import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runRestore, type RestoreSummary } from '../../src/daemon/restore/restore-run.js';
import { startTestEmulator, type TestEmulator } from '../helpers/emulator.js';
import { tempDir } from '../helpers/fixtures.js';
import { restoreOptions } from '../helpers/restore.js';
import { useStore } from '../helpers/store.js';
import { waitFor } from '../helpers/wait.js';

// A directory is checked (inside --to) once, for its first file. A local user who can write in --to
// (a restore often runs as root) then swaps it for a symlink to a directory elsewhere: the later
// files of that directory must not follow it out of --to. (--to is made writable by all: where only
// the restoring user or root can write, nobody else can swap anything, and files go by path.)
describe.skipIf(process.platform !== 'linux')('restore into a directory swapped for a symlink after its check', () => {
  const db = useStore();
  let emu: TestEmulator;
  let to: ReturnType<typeof tempDir>;
  let outside: ReturnType<typeof tempDir>;
  beforeEach(async () => {
    emu = await startTestEmulator();
    to = tempDir('oss-sync-restore-swap-');
    chmodSync(to.path, 0o777);
    outside = tempDir('oss-sync-restore-outside-');
  });
  afterEach(async () => {
    await emu.stop();
    to.remove();
    outside.remove();
  });

  /**
   * Restores p/d/a.txt, p/d/b/hold.txt and p/d/<last> one at a time, in key order: a.txt checks d,
   * and while hold.txt's GET is held d is renamed to d-old and replaced by a symlink to `outside`
   * (after `beforeSwap`); `last` comes after the swap.
   */
  async function restoreSwapped(last: string, body: Buffer, beforeSwap: () => void): Promise<RestoreSummary> {
    const client = emu.client();
    await client.put('p/d/a.txt', Buffer.from('first\n'));
    await client.put('p/d/b/hold.txt', Buffer.from('held\n'));
    await client.put(`p/d/${last}`, body);
    emu.emulator.faults.add({ match: { operation: 'GetObject', key: 'p/d/b/hold.txt' }, times: 1, action: { type: 'latency', ms: 1500 } });
    const running = runRestore(restoreOptions(emu, db.store.restores, to.path, { filesInParallel: 1 }));
    await waitFor(() => emu.emulator.faults.list().length === 0, { what: 'the held GET under way', timeoutMs: 10_000 });
    expect(existsSync(join(to.path, 'd', 'a.txt'))).toBe(true);
    renameSync(join(to.path, 'd'), join(to.path, 'd-old'));
    beforeSwap();
    symlinkSync(outside.path, join(to.path, 'd'));
    return await running;
  }

  it.each([
    ['a small object', 10],
    ['an object fetched whole', 200 * 1024],
    ['an object fetched in ranges', (3 << 20) + 5],
  ])('writes %s of that directory nowhere outside --to', async (_what, size) => {
    const body = Buffer.alloc(size, 0x62);
    const summary = await restoreSwapped('c.bin', body, () => mkdirSync(join(outside.path, 'b')));
    expect(readdirSync(outside.path)).toEqual(['b']);
    expect(readdirSync(join(outside.path, 'b'))).toEqual([]);
    // Each file landed in the directory that was checked (its inode, now d-old).
    expect(summary.entries.map((e) => [e.key, e.action])).toEqual([
      ['p/d/a.txt', 'restored'],
      ['p/d/b/hold.txt', 'restored'],
      ['p/d/c.bin', 'restored'],
    ]);
    expect(readFileSync(join(to.path, 'd-old', 'b', 'hold.txt'), 'utf8')).toBe('held\n');
    expect(readFileSync(join(to.path, 'd-old', 'c.bin')).equals(body)).toBe(true);
    expect(readdirSync(join(to.path, 'd-old')).sort()).toEqual(['a.txt', 'b', 'c.bin']);
  });

  // A directory not yet checked is made below one swapped for a symlink: mkdir -p by path made its
  // missing directories outside --to (where a restore run as root let that user make them anywhere),
  // before the check refused the file.
  it('makes no directory through a symlink swapped in above a directory not yet checked', async () => {
    const summary = await restoreSwapped('e/f/g.txt', Buffer.from('g\n'), () => undefined);
    expect(readdirSync(outside.path)).toEqual([]);
    const [realTo, realOutside] = [realpathSync(to.path), realpathSync(outside.path)];
    expect(summary.entries.find((e) => e.key === 'p/d/e/f/g.txt')?.detail).toBe(
      `${join(to.path, 'd', 'e', 'f')} resolves to ${join(realOutside, 'e', 'f')}, outside the restore directory ${realTo} (a symlink on the way): refused`,
    );
    expect(readdirSync(join(to.path, 'd-old')).sort()).toEqual(['a.txt', 'b']);
  });

  it('makes no directory through a symlink in --to before the restore', async () => {
    await emu.client().put('p/a/b/c/file', Buffer.from('file\n'));
    symlinkSync(outside.path, join(to.path, 'a'));
    const summary = await runRestore(restoreOptions(emu, db.store.restores, to.path));
    expect(readdirSync(outside.path)).toEqual([]);
    expect(summary.entries.map((e) => [e.key, e.action, e.detail])).toEqual([
      [
        'p/a/b/c/file',
        'failed',
        `${join(to.path, 'a', 'b', 'c')} resolves to ${join(realpathSync(outside.path), 'b', 'c')}, outside the restore directory ${realpathSync(to.path)} (a symlink on the way): refused`,
      ],
    ]);
  });

  // A file already at the target is looked at (lstat, then its CRC-64 when of the object's size)
  // before it is written: through the swapped path, a file outside --to was read and its object
  // reported 'unchanged', never restored into --to.
  it('looks for a file already there in the checked directory, not through the symlink', async () => {
    const body = Buffer.from('the object\n');
    mkdirSync(join(to.path, 'd'));
    writeFileSync(join(to.path, 'd', 'old.txt'), 'not fresh\n'); // d is looked into, file by file
    const summary = await restoreSwapped('c.txt', body, () => writeFileSync(join(outside.path, 'c.txt'), body));
    expect(summary.entries.find((e) => e.key === 'p/d/c.txt')?.action).toBe('restored');
    expect(readFileSync(join(to.path, 'd-old', 'c.txt')).equals(body)).toBe(true);
  });
});
