import { appendFileSync, lstatSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { StateStore } from '../../src/store/index.js';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createTree } from '../helpers/fixtures.js';
import { createSyncFixture, type SyncFixture } from '../helpers/sync-fixture.js';
import { waitFor } from '../helpers/wait.js';
import { startWriter, stopWriter } from '../helpers/writer-child.js';

let fx: SyncFixture | undefined;
afterEach(async () => {
  await stopWriter();
  await fx?.cleanup();
  fx = undefined;
});

const APPENDER = `
const [path, times] = [process.argv[1], Number(process.argv[2])];
let n = 0;
const timer = setInterval(() => {
  require('node:fs').appendFileSync(path, 'line ' + ++n + '\\n');
  if (n >= times) clearInterval(timer);
}, 20);`;

/** Appends a line to the file every 20 ms (a dump being written), `times` times or until stopped. */
function keepWriting(path: string, times = Infinity): Promise<void> {
  writeFileSync(path, 'line 0\n');
  return startWriter(APPENDER, [path, String(times)]);
}

// The fixture's settle window is 300 ms.
describe('the settle window at start-up and in `once`', () => {
  it('once waits for a file still being written and uploads it whole', async () => {
    fx = await createSyncFixture();
    createTree(fx.folder('main'), { 'done.txt': 'already there' });
    const dump = join(fx.folder('main'), 'dump.sql');
    const written = keepWriting(dump, 50); // ~1 s of writing, beginning before `once` starts
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
    await stopWriter();
    expect(code).toBe(1);
    expect(once.stderr.join('\n')).toContain('not synced: 1 file(s) still being written after 3 s, not uploaded: app.log');
    expect(await fx.remoteKeys()).toEqual(['main/done.txt']);
  });

  it('run uploads a file being written at start-up once, whole, after it settles', async () => {
    fx = await createSyncFixture();
    const dump = join(fx.folder('main'), 'dump.sql');
    const written = keepWriting(dump, 50);
    fx.spawnCli(['run', '--config', fx.configPath]);
    await written;
    await waitFor(async () => (await fx!.remoteKeys()).includes('main/dump.sql'), { what: 'dump.sql uploaded' });
    expect(await fx.remote('main/dump.sql')).toEqual(readFileSync(dump));
    // One PutObject: never a half-written copy first.
    const puts = fx.emu.emulator.requestLog.entries().filter((e) => e.operation === 'PutObject' && e.key === 'main/dump.sql');
    expect(puts).toHaveLength(1);
  });
});

describe('the settle window, at its edges', () => {
  it('once leaves alone an older queued row of a file now being written: the good copy stays', async () => {
    fx = await createSyncFixture();
    const dump = join(fx.folder('main'), 'dump.sql');
    writeFileSync(dump, 'complete v1\n');
    expect((await fx.spawnCli(['once', '--config', fx.configPath]).exited).code).toBe(0);
    // A run killed after it queued v2 leaves a queued row behind; then a new dump starts.
    appendFileSync(dump, 'v2\n');
    const store = StateStore.open(fx.stateDb);
    const st = lstatSync(dump, { bigint: true });
    store.queue.observe('main', [
      {
        relPath: 'dump.sql',
        size: Number(st.size),
        mtimeNs: st.mtimeNs,
        ino: st.ino,
        dev: st.dev,
        bucket: fx.emu.bucket,
        key: 'main/dump.sql',
      },
    ]);
    store.close();
    void keepWriting(dump);
    const once = fx.spawnCli(['once', '--config', fx.configPath]);
    const { code } = await once.exited;
    await stopWriter();
    expect(code).toBe(1);
    expect(once.stderr.join('\n')).toContain('still being written after 3 s, not uploaded: dump.sql');
    expect((await fx.remote('main/dump.sql'))?.toString()).toBe('complete v1\n');
  });

  it('once stops waiting for a file to settle when asked to stop', async () => {
    fx = await createSyncFixture([{ name: 'main' }], { settle_time: '5s' }); // it would wait 50 s
    void keepWriting(join(fx.folder('main'), 'app.log'));
    const once = fx.spawnCli(['once', '--config', fx.configPath]);
    await waitFor(() => fx!.emu.emulator.requestLog.entries().some((e) => e.operation === 'ListMultipartUploads'), {
      what: 'start-up under way',
    });
    const asked = Date.now();
    once.child.kill('SIGTERM');
    await once.exited;
    await stopWriter();
    expect(Date.now() - asked).toBeLessThan(15_000);
    expect(await fx.remoteKeys()).toEqual([]);
  });

  it('run still backs up a file that never stops changing (a live log), as it is, after the hold', async () => {
    fx = await createSyncFixture();
    const log = join(fx.folder('main'), 'app.log');
    writeFileSync(log, 'v1\n');
    expect((await fx.spawnCli(['once', '--config', fx.configPath]).exited).code).toBe(0);
    void keepWriting(log);
    fx.spawnCli(['run', '--config', fx.configPath]);
    // Held back 15 windows (4.5 s here), then uploaded as it stands.
    await waitFor(async () => ((await fx!.remote('main/app.log'))?.length ?? 0) > 3, {
      timeoutMs: 30_000,
      what: 'a newer app.log uploaded',
    });
    await stopWriter();
  });

  it('with settle_time 0, a file dated in the future (clock skew) is uploaded at once', async () => {
    fx = await createSyncFixture([{ name: 'main' }], { settle_time: '0s' });
    const file = join(fx.folder('main'), 'future.txt');
    writeFileSync(file, 'from a skewed clock');
    const inAnHour = Date.now() / 1000 + 3600;
    utimesSync(file, inAnHour, inAnHour);
    const once = fx.spawnCli(['once', '--config', fx.configPath]);
    expect((await once.exited).code, once.stderr.join('\n')).toBe(0);
    expect((await fx.remote('main/future.txt'))?.toString()).toBe('from a skewed clock');
  });
});

describe('retry while the daemon runs', () => {
  it('is picked up within seconds: the idle daemon asks the queue again every 2 s', async () => {
    fx = await createSyncFixture([{ name: 'main' }], { max_attempts: 1 });
    fx.emu.emulator.faults.add({
      match: { operation: 'PutObject', key: 'main/flaky.txt' },
      times: Infinity,
      action: { type: 'error', status: 400, code: 'InvalidArgument' },
    });
    const run = fx.spawnCli(['run', '--config', fx.configPath]);
    await run.waitForLog((r) => r.msg === 'watching folder');
    writeFileSync(join(fx.folder('main'), 'flaky.txt'), 'eventually');
    await run.waitForLog((r) => typeof r.msg === 'string' && r.msg.startsWith('upload failed permanently; parked'), 30_000);
    fx.emu.emulator.faults.clear();
    const retry = fx.spawnCli(['retry', '--config', fx.configPath]);
    expect((await retry.exited).code).toBe(0);
    // The 30 s idle sleep this replaces would miss the deadline; 2 s polls make it easily.
    await waitFor(async () => (await fx!.remote('main/flaky.txt'))?.toString() === 'eventually', {
      timeoutMs: 10_000,
      what: 'flaky.txt uploaded after retry',
    });
  });
});
