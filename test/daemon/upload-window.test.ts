/**
 * The timetable in a running daemon: outside the upload window files stay queued and nothing is
 * sent; a reload (what SIGHUP does) with a new timetable opens the window and they go.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { renderTimetableStatus, timetableStatus } from '../../src/cli/status-command.js';
import { createTree } from '../helpers/fixtures.js';
import { createSyncFixture, type SyncFixture } from '../helpers/sync-fixture.js';
import { waitFor } from '../helpers/wait.js';

/** Every minute matches: the window is closed (or open) whatever the time of the test. */
const ALWAYS = (uploads: 'open' | 'closed') => ({ time_zone: 'UTC', entries: [{ at: '* * * * *', uploads }] });

describe('upload window in the daemon', () => {
  let fx: SyncFixture;
  afterEach(async () => fx?.cleanup());

  it('keeps files queued while closed, sends them once a reloaded timetable opens the window', async () => {
    fx = await createSyncFixture([{ name: 'main' }], { timetable: ALWAYS('closed') });
    createTree(fx.folder('main'), { 'a.txt': 'alpha', 'big.bin': 'x'.repeat(300 * 1024) });
    const { daemon, logs } = await fx.startDaemon('run');
    await waitFor(
      () => {
        const store = fx.openStore();
        try {
          return store.report.folderCounts().find((c) => c.folder === 'main')?.queued === 2;
        } finally {
          store.close();
        }
      },
      { what: 'both files to be queued' },
    );
    expect(logs.some((l) => l.includes('"upload timetable"') && l.includes('"closed"'))).toBe(true);
    // A scheduler pass or two later, still nothing sent.
    const passes = daemon['scheduler'].lastPumpAt;
    await waitFor(() => daemon['scheduler'].lastPumpAt > passes, { what: 'a scheduler pass' });
    const writes = fx.emu.emulator.requestLog
      .entries()
      .filter((e) => ['PutObject', 'InitiateMultipartUpload', 'UploadPart'].includes(e.operation ?? ''));
    expect(writes).toEqual([]);
    expect(daemon.uploadWindowOpen).toBe(false);
    expect(daemon.statusLine()).toBe('1 folder(s): 2 queued, 0 uploading, 0 uploaded, 0 failed; uploads closed (timetable)');

    fx.writeConfig([{ name: 'main' }], { timetable: ALWAYS('open') });
    await daemon.reload(loadConfig(fx.configPath));
    await waitFor(
      async () => (await fx.remote('main/big.bin'))?.length === 300 * 1024 && (await fx.remote('main/a.txt'))?.toString() === 'alpha',
      {
        what: 'both files uploaded',
      },
    );
    await daemon.stop();
  });

  it('status shows the window state and when it next changes', async () => {
    const config = {
      timeZone: 'UTC',
      cutoff: 'soft' as const,
      ossTrafficLimit: false,
      entries: [
        { at: '0 1 * * *', uploads: 'closed' as const },
        { at: '0 5 * * *', uploads: 'open' as const, bandwidth: 2 * 2 ** 20 },
      ],
    };
    const status = await timetableStatus(config, new Date('2026-12-08T03:00:00Z'));
    expect(status).toEqual({
      timeZone: 'UTC',
      uploads: 'closed',
      bandwidth: 2 * 2 ** 20, // since yesterday's 05:00 entry
      nextChange: { at: '2026-12-08T05:00:00.000Z', uploads: 'open', bandwidth: 2 * 2 ** 20 },
    });
    expect(renderTimetableStatus(status!)).toBe(
      'timetable: uploads closed, bandwidth 2.0 MiB/s (UTC); from 2026-12-08T05:00:00.000Z uploads open, bandwidth 2.0 MiB/s',
    );
    expect(await timetableStatus(null)).toBeNull();
  });
});
