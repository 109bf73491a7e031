import { afterEach, describe, expect, it, vi } from 'vitest';
import { FatalPauses } from '../../src/daemon/fatal-pauses.js';
import { TransferScheduler } from '../../src/daemon/transfer-scheduler.js';
import type { FileRow } from '../../src/store/index.js';
import { queueFiles, useStore } from '../helpers/store.js';
import { waitFor } from '../helpers/wait.js';

const HOUR = 3_600_000;
const realNow = Date.now.bind(Date);

/** Steps the wall clock (Date.now) by stepMs from here on; the monotonic clock and timers are untouched. */
function stepWallClock(stepMs: number): void {
  vi.spyOn(Date, 'now').mockImplementation(() => realNow() + stepMs);
}

describe('a step of the wall clock', () => {
  const ctx = useStore();
  let scheduler: TransferScheduler | undefined;
  afterEach(async () => {
    await scheduler?.stop(1_000);
    scheduler = undefined;
    vi.restoreAllMocks();
  });

  /** A scheduler over file 'a' whose run calls `attempt(row, n)` (n from 1) and verifies the file when it returns true. */
  function schedule(attempt: (row: FileRow, n: number) => boolean): { runs: () => number } {
    const { store } = ctx;
    let runs = 0;
    scheduler = new TransferScheduler(store.queue, {
      slots: 1,
      largeFileBytes: 1 << 20,
      activeFolders: () => ['f'],
      run: async (row) => {
        runs++;
        if (attempt(row, runs))
          store.queue.markVerified(row.id, row.generation, { bucket: row.bucket, key: row.key, etag: '"E"', crc64: '1', fingerprint: row });
      },
    });
    scheduler.kick();
    return { runs: () => runs };
  }

  it('back an hour does not stretch a 1 s retry: the file is tried again within seconds', async () => {
    queueFiles(ctx.store, 'f', ['a']);
    const { runs } = schedule((row, n) => {
      if (n > 1) return true;
      ctx.store.queue.markRetry(row.id, row.generation, 'timeout', Date.now() + 1_000);
      stepWallClock(-HOUR); // just after the retry was scheduled
      return false;
    });
    await waitFor(() => runs() === 2, { timeoutMs: 10_000, what: 'the retry, due 1 s after the failure' });
    expect(ctx.store.queue.find('f', 'a')?.state).toBe('verified');
  });

  it('forward an hour does not fire a 10 min back-off early: its wait moves with the clock', async () => {
    queueFiles(ctx.store, 'f', ['a']);
    let retryAt = 0;
    const { runs } = schedule((row, n) => {
      if (n > 1) return true;
      retryAt = Date.now() + 600_000;
      ctx.store.queue.markRetry(row.id, row.generation, 'timeout', retryAt);
      stepWallClock(HOUR);
      return false;
    });
    // Today's code would run it at once (due an hour ago, as the clock reads now).
    await waitFor(() => runs() > 1 || (ctx.store.queue.find('f', 'a')?.nextAttemptAt ?? 0) >= retryAt + HOUR - 5_000, {
      timeoutMs: 10_000,
      what: 'the back-off moved with the clock (or the file run early)',
    });
    expect(runs()).toBe(1);
    expect(ctx.store.queue.find('f', 'a')?.state).toBe('queued');
  });

  it('back an hour while stopped: at start-up a stored 1 s retry waits at most 1 s, not the hour', async () => {
    queueFiles(ctx.store, 'f', ['a']);
    const [row] = ctx.store.queue.claimDue(1);
    // Set while the clock read an hour ahead, then stepped back before this start: due "in an hour and a second".
    const then = Date.now() + HOUR;
    ctx.store.queue.markRetry(row!.id, row!.generation, 'timeout', then + 1_000, then);
    const { runs } = schedule(() => true);
    await waitFor(() => runs() === 1, { timeoutMs: 10_000, what: 'the stored retry, at most 1 s after start-up' });
    expect(ctx.store.queue.find('f', 'a')?.state).toBe('verified');
  });
});

describe('FatalPauses across a step of the wall clock', () => {
  afterEach(() => vi.restoreAllMocks());

  it('a step forward does not end a folder rest, a step back does not stretch it', () => {
    const pauses = new FatalPauses();
    const denied = new Error('AccessDenied');
    pauses.pause('photos', denied);
    stepWallClock(HOUR);
    expect(pauses.pausedBy('photos')).toBe(denied);
    expect(pauses.ended()).toEqual([]);
    pauses.pause('logs', denied); // 60 s, whatever the wall clock reads next
    stepWallClock(-HOUR);
    pauses.pause('photos', denied); // 120 s
    expect(pauses.pausedBy('logs', performance.now() + 60_000)).toBeUndefined();
    expect(pauses.pausedBy('photos', performance.now() + 120_000)).toBeUndefined();
  });
});
