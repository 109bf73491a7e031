import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createTree } from '../helpers/fixtures.js';
import { createSyncFixture, type SyncFixture } from '../helpers/sync-fixture.js';
import { waitFor } from '../helpers/wait.js';

let fx: SyncFixture | undefined;
let writer: NodeJS.Timeout | undefined;
afterEach(async () => {
  clearInterval(writer);
  await fx?.cleanup();
  fx = undefined;
});

/** Appends a line to the file every 50 ms (a dump being written), `times` times or until stopped. */
function keepWriting(path: string, times = Infinity): Promise<void> {
  writeFileSync(path, 'line 0\n');
  let n = 0;
  return new Promise((resolve) => {
    writer = setInterval(() => {
      appendFileSync(path, `line ${++n}\n`);
      if (n >= times) {
        clearInterval(writer);
        resolve();
      }
    }, 50);
  });
}

// The fixture's settle window is 300 ms.
describe('the settle window at start-up and in `once`', () => {
  it('once waits for a file still being written and uploads it whole', async () => {
    fx = await createSyncFixture();
    createTree(fx.folder('main'), { 'done.txt': 'already there' });
    const dump = join(fx.folder('main'), 'dump.sql');
    const written = keepWriting(dump, 20); // ~1 s of writing, beginning before `once` starts
    const once = fx.spawnCli(['once', '--config', fx.configPath]);
    await written;
    const { code } = await once.exited;
    expect(code, once.stderr.join('\n')).toBe(0);
    expect(await fx.remote('main/dump.sql')).toEqual(readFileSync(dump));
    expect(await fx.remote('main/done.txt')).toEqual(Buffer.from('already there'));
  });

  it('once does not upload a file that never stops changing, names it and exits 1', async () => {
    fx = await createSyncFixture();
    createTree(fx.folder('main'), { 'done.txt': 'already there' });
    void keepWriting(join(fx.folder('main'), 'app.log'));
    const once = fx.spawnCli(['once', '--config', fx.configPath]);
    const { code } = await once.exited;
    clearInterval(writer);
    expect(code).toBe(1);
    expect(once.stderr.join('\n')).toContain('not synced: 1 file(s) still being written after 3 s, not uploaded: app.log');
    expect(await fx.remoteKeys()).toEqual(['main/done.txt']);
  });

  it('run uploads a file being written at start-up once, whole, after it settles', async () => {
    fx = await createSyncFixture();
    const dump = join(fx.folder('main'), 'dump.sql');
    const written = keepWriting(dump, 20);
    fx.spawnCli(['run', '--config', fx.configPath]);
    await written;
    await waitFor(async () => (await fx!.remoteKeys()).includes('main/dump.sql'), { what: 'dump.sql uploaded' });
    expect(await fx.remote('main/dump.sql')).toEqual(readFileSync(dump));
    // One PutObject: never a half-written copy first.
    const puts = fx.emu.emulator.requestLog.entries().filter((e) => e.operation === 'PutObject' && e.key === 'main/dump.sql');
    expect(puts).toHaveLength(1);
  });
});

describe('retry while the daemon runs', () => {
  it('is picked up within seconds: the idle daemon asks the queue again every 2 s', async () => {
    fx = await createSyncFixture([{ name: 'main' }], { max_attempts: 1 });
    fx.emu.emulator.faults.add({ match: { operation: 'PutObject', key: 'main/flaky.txt' }, times: Infinity, action: { type: 'error', status: 500, code: 'InternalError' } });
    const run = fx.spawnCli(['run', '--config', fx.configPath]);
    await run.waitForLog((r) => r.msg === 'watching folder');
    writeFileSync(join(fx.folder('main'), 'flaky.txt'), 'eventually');
    await run.waitForLog((r) => r.msg === 'upload failed too often; parked', 30_000);
    fx.emu.emulator.faults.clear();
    const retry = fx.spawnCli(['retry', '--config', fx.configPath]);
    expect((await retry.exited).code).toBe(0);
    // The 30 s idle sleep this replaces would miss the deadline; 2 s polls make it easily.
    await waitFor(async () => (await fx!.remote('main/flaky.txt'))?.toString() === 'eventually', { timeoutMs: 10_000, what: 'flaky.txt uploaded after retry' });
  });
});
