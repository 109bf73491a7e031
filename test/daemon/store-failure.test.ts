/**
 * The state database refusing writes mid-run (disk full, I/O error, a file system remounted
 * read-only): the daemon says so once, naming the database, stops and exits 1 instead of crashing
 * or hanging; what it had recorded is kept, and the next run finishes without re-sending it.
 * SQLite itself refuses the writes: mid-run, the daemon's file size limit drops to 0 once the first
 * uploads were seen (Node ignores SIGXFSZ, so each write gets EFBIG: SQLITE_IOERR_WRITE, as from a
 * failing disk); while starting, PRAGMA query_only, set by a failpoint N ms after opening.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createTree } from '../helpers/fixtures.js';
import { createSyncFixture, type SyncFixture } from '../helpers/sync-fixture.js';
import { waitFor } from '../helpers/wait.js';

const FILES = 120;

describe('daemon: a state database that stops taking writes', () => {
  let fx: SyncFixture;
  afterEach(async () => fx?.cleanup());

  async function setUp(): Promise<string[]> {
    // Four small files at a time (not the default 64): the run must still be uploading when its writes fail.
    fx = await createSyncFixture([{ name: 'main' }], { concurrency: { small_files: 4 } });
    const names = Array.from({ length: FILES }, (_, i) => `f${String(i).padStart(3, '0')}.txt`);
    createTree(fx.folder('main'), Object.fromEntries(names.map((n) => [n, `content of ${n}\n`])));
    // Slow puts, so the run is surely still uploading when the database turns read-only.
    fx.emu.emulator.faults.add({ match: { operation: 'PutObject' }, times: Infinity, action: { type: 'latency', ms: 40 } });
    return names;
  }

  /** Object keys of the files the state database has as verified. */
  function verifiedNow(names: string[]): Set<string> {
    const store = fx.openStore();
    try {
      return new Set(names.filter((n) => store.queue.find('main', n)?.state === 'verified').map((n) => `main/${n}`));
    } finally {
      store.close();
    }
  }

  function putCounts(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const e of fx.emu.emulator.requestLog.entries()) {
      if (e.operation === 'PutObject' && e.status === 200) counts.set(e.key!, (counts.get(e.key!) ?? 0) + 1);
    }
    return counts;
  }

  async function expectNextRunFinishes(names: string[], verifiedBefore: Set<string>): Promise<void> {
    fx.emu.emulator.faults.clear();
    const second = fx.spawnCli(['once', '--config', fx.configPath]);
    expect((await second.exited).code, second.stderr.join('')).toBe(0);
    for (const name of names) expect(await fx.remote(`main/${name}`), name).toEqual(readFileSync(join(fx.folder('main'), name)));
    // What the first run recorded as done was not sent again.
    const puts = putCounts();
    for (const name of verifiedBefore) expect(puts.get(name), name).toBe(1);
  }

  it.each(['run', 'once'])(
    '`%s` logs it once with the database path, stops and exits 1; the next run finishes the rest',
    async (command) => {
      const names = await setUp();
      const first = fx.spawnCli([command, '--config', fx.configPath]);
      await waitFor(() => putCounts().size > 0, { what: 'the first uploads' });
      // On that condition, not N ms after start: a loaded machine can take longer than any window to start.
      execFileSync('prlimit', ['--pid', String(first.child.pid), '--fsize=0:unlimited']);
      const exit = await first.exited;
      expect(exit.code, first.stderr.join('')).toBe(1);
      const failures = first.stdout
        .flatMap((chunk) => chunk.split('\n'))
        .filter((line) => line.includes('the state database cannot be written'));
      expect(failures).toHaveLength(1);
      expect(JSON.parse(failures[0]!)).toMatchObject({ level: 'error', db: fx.stateDb });
      expect(first.stderr.join('')).not.toMatch(/at .*\.js:\d+/); // no crash stack trace
      if (command === 'once') expect(first.stderr.join('')).toContain(`the state database ${fx.stateDb} cannot be written`);

      const verifiedBefore = verifiedNow(names);
      expect(verifiedBefore.size).toBeLessThan(FILES);
      await expectNextRunFinishes(names, verifiedBefore);
    },
  );

  // Early enough to land in start-up: the first writes, the orphan clean-up, the start-up walk.
  it.each([
    ['run', 0],
    ['run', 60],
    ['once', 0],
    ['once', 60],
  ])('`%s` with writes refused %i ms after opening, while starting: exits 1 naming the database, never hangs', async (command, ms) => {
    const names = await setUp();
    const first = fx.spawnCli([command, '--config', fx.configPath], { OSS_SYNC_FAILPOINT: `state-db-readonly-after-ms:${ms}` });
    const exit = await first.exited;
    const output = first.stdout.join('') + first.stderr.join('');
    expect(exit.code, output).toBe(1);
    expect(output).toContain(fx.stateDb);
    expect(output).toContain('cannot be written');
    expect(first.stderr.join('')).not.toMatch(/at .*\.js:\d+/);
    // A start that failed is not logged as one that succeeded.
    const messages = first.stdout
      .flatMap((chunk) => chunk.split('\n'))
      .filter((l) => l.startsWith('{'))
      .map((l) => (JSON.parse(l) as { msg: string }).msg);
    const failedAt = messages.findIndex((m) => m.includes('the state database cannot be written'));
    if (failedAt !== -1) expect(messages.slice(failedAt)).not.toContain('oss-sync started');
    await expectNextRunFinishes(names, verifiedNow(names));
  });
});
