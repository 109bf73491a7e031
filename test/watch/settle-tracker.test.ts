import { appendFileSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SettleTracker, type SettledFile } from '../../src/daemon/watch/settle-tracker.js';
import { tempDir } from '../helpers/fixtures.js';
import { waitFor } from '../helpers/wait.js';

describe('SettleTracker', () => {
  let temp: ReturnType<typeof tempDir>;
  let clock: number;
  let tracker: SettleTracker;
  let settled: SettledFile[];
  let removed: string[];

  /**
   * A tracker driven by checkNow() and a hand-moved clock; real files, real lstat. Its timeout is a
   * fake one that is never advanced, so only checkNow() (and the first-lstat pass on the next turn,
   * at the same clock) looks at anything.
   */
  function manualTracker(settleMs = 1_000): SettleTracker {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    tracker = new SettleTracker(temp.path, { settleMs, now: () => clock });
    tracker.on('settled', (file) => settled.push(file));
    tracker.on('removed', (relPath) => removed.push(relPath));
    return tracker;
  }

  beforeEach(() => {
    temp = tempDir();
    clock = 0;
    settled = [];
    removed = [];
  });
  afterEach(() => {
    tracker.close();
    vi.useRealTimers();
    temp.remove();
  });

  /** Lets the first-lstat pass that track() scheduled for the next turn run. */
  const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

  it('settles a file once two stats a settle window apart agree', async () => {
    writeFileSync(join(temp.path, 'a.txt'), 'hello');
    manualTracker();
    tracker.track('a.txt');
    await tracker.checkNow();
    clock += 999;
    await tracker.checkNow();
    expect(settled).toEqual([]);
    clock += 1;
    await tracker.checkNow();
    expect(settled).toEqual([expect.objectContaining({ relPath: 'a.txt', size: 5 })]);
    expect(typeof settled[0]?.mtimeNs).toBe('bigint');
    expect(settled[0]?.ino).toBeGreaterThan(0n);
    expect(tracker.pendingCount).toBe(0);
  });

  it('keeps deferring a file that keeps growing, and settles it at its final size', async () => {
    const file = join(temp.path, 'dump.sql');
    writeFileSync(file, 'x');
    manualTracker();
    tracker.track('dump.sql');
    await tracker.checkNow();
    for (let i = 0; i < 5; i++) {
      appendFileSync(file, 'more data\n'); // no event: the size alone defers it
      clock += 1_000;
      await tracker.checkNow();
      expect(settled).toEqual([]);
    }
    clock += 1_000;
    await tracker.checkNow();
    expect(settled.map((f) => f.size)).toEqual([51]);
  });

  it('defers a file with an event inside the window even when its stats agree', async () => {
    writeFileSync(join(temp.path, 'a.txt'), 'same');
    manualTracker();
    tracker.track('a.txt');
    await tracker.checkNow();
    clock += 500;
    tracker.track('a.txt');
    clock += 500;
    await tracker.checkNow();
    expect(settled).toEqual([]);
    clock += 1_000;
    await tracker.checkNow();
    expect(settled).toHaveLength(1);
  });

  it('reports files removed before they settled, or no longer regular files', async () => {
    for (const name of ['gone-early', 'gone-later', 'became-dir', 'became-link']) writeFileSync(join(temp.path, name), 'x');
    manualTracker();
    for (const name of ['gone-early', 'gone-later', 'became-dir', 'became-link', 'never-existed']) tracker.track(name);
    rmSync(join(temp.path, 'gone-early'));
    await tracker.checkNow();
    expect(removed.sort()).toEqual(['gone-early', 'never-existed']);
    rmSync(join(temp.path, 'gone-later'));
    rmSync(join(temp.path, 'became-dir'));
    mkdirSync(join(temp.path, 'became-dir'));
    rmSync(join(temp.path, 'became-link'));
    symlinkSync('/etc/hostname', join(temp.path, 'became-link'));
    clock += 1_000;
    await tracker.checkNow();
    expect(removed.sort()).toEqual(['became-dir', 'became-link', 'gone-early', 'gone-later', 'never-existed']);
    expect(settled).toEqual([]);
  });

  it('forgets a path on request', async () => {
    writeFileSync(join(temp.path, 'a.txt'), 'x');
    manualTracker();
    tracker.track('a.txt');
    await tracker.checkNow();
    tracker.forget('a.txt');
    clock += 1_000;
    await tracker.checkNow();
    expect(settled).toEqual([]);
    expect(tracker.pendingCount).toBe(0);
  });

  it('handles thousands of pending files in one pass, giving the event loop turns', async () => {
    const count = 5_000;
    for (let i = 0; i < count; i++) writeFileSync(join(temp.path, `f${i}`), String(i));
    manualTracker(); // 1,000 lstat calls a turn
    for (let i = 0; i < count; i++) tracker.track(`f${i}`);
    await tracker.checkNow();
    clock += 1_000;
    let turned = false;
    setImmediate(() => (turned = true));
    let turnedBeforeLast = false;
    tracker.on('settled', () => (turnedBeforeLast = turned));
    await tracker.checkNow();
    expect(settled).toHaveLength(count);
    expect(turnedBeforeLast).toBe(true);
    expect(tracker.pendingCount).toBe(0);
  });

  async function checkAt(t: number): Promise<void> {
    clock = t;
    await tracker.checkNow();
  }

  /** Nothing settled when checked at t - 1; a.txt settled when checked at t. */
  async function expectSettlesAt(t: number): Promise<void> {
    await checkAt(t - 1);
    expect(settled).toEqual([]);
    await checkAt(t);
    expect(settled).toEqual([expect.objectContaining({ relPath: 'a.txt' })]);
  }

  it('starts the window at the report, not at the first lstat', async () => {
    writeFileSync(join(temp.path, 'a.txt'), 'hello');
    manualTracker(2_000);
    tracker.track('a.txt'); // reported at 0
    await checkAt(400); // the first lstat comes late (as a polling tick's did)
    await expectSettlesAt(2_000);
  });

  it('restarts the window at a later report', async () => {
    writeFileSync(join(temp.path, 'a.txt'), 'hello');
    manualTracker(2_000);
    tracker.track('a.txt');
    await checkAt(0);
    clock = 1_500;
    writeFileSync(join(temp.path, 'a.txt'), 'hello again');
    tracker.track('a.txt');
    await checkAt(1_500);
    await checkAt(2_000);
    await expectSettlesAt(3_500);
    expect(settled[0]?.size).toBe(11);
  });

  it('starts the window at a first lstat taken more than half a window after the report', async () => {
    writeFileSync(join(temp.path, 'a.txt'), 'hello');
    manualTracker(2_000);
    tracker.track('a.txt');
    await checkAt(1_001); // event loop blocked: an lstat now and one at 2,000 would be too close to prove anything
    await checkAt(2_000);
    await expectSettlesAt(3_001);
  });

  describe('on its own timer, with a fake clock', () => {
    /** settledAt[relPath]: the fake clock when it settled. */
    let settledAt: Map<string, number>;

    function timedTracker(settleMs: number): SettleTracker {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
      vi.setSystemTime(0);
      settledAt = new Map();
      tracker = new SettleTracker(temp.path, { settleMs, now: () => Date.now() });
      tracker.on('settled', (file) => settledAt.set(file.relPath, Date.now()));
      tracker.on('removed', (relPath) => removed.push(relPath));
      return tracker;
    }

    async function advanceTo(t: number): Promise<void> {
      await vi.advanceTimersByTimeAsync(t - Date.now());
    }

    it('settles a file as soon as its window has passed, and a re-reported one a window after the last report', async () => {
      writeFileSync(join(temp.path, 'still.txt'), 'x');
      writeFileSync(join(temp.path, 'again.txt'), 'y');
      timedTracker(2_000);
      tracker.track('still.txt');
      tracker.track('again.txt');
      await nextTurn();
      await advanceTo(1_500);
      tracker.track('again.txt');
      await nextTurn();
      await advanceTo(1_999);
      expect([...settledAt]).toEqual([]);
      await advanceTo(2_000);
      expect([...settledAt]).toEqual([['still.txt', 2_000]]);
      await advanceTo(3_499);
      expect(settledAt.has('again.txt')).toBe(false);
      await advanceTo(3_500);
      expect(settledAt.get('again.txt')).toBe(3_500);
      expect(tracker.pendingCount).toBe(0);
      expect(vi.getTimerCount()).toBe(0); // nothing pending: no timer left running
    });

    it('keeps a single timer for many pending files, each settling when due', async () => {
      const count = 1_000;
      for (let i = 0; i < count; i++) writeFileSync(join(temp.path, `f${i}`), String(i));
      timedTracker(2_000);
      for (let i = 0; i < count; i++) {
        tracker.track(`f${i}`);
        if (i % 10 === 9) await nextTurn();
        await vi.advanceTimersByTimeAsync(1); // reported 1 ms apart
        expect(vi.getTimerCount()).toBeLessThanOrEqual(1);
      }
      await advanceTo(2_000 + count);
      expect(settledAt.size).toBe(count);
      for (let i = 0; i < count; i++) expect(settledAt.get(`f${i}`)).toBe(2_000 + i);
      expect(removed).toEqual([]);
    });
  });

  it('settles on its own timer with the real clock', async () => {
    tracker = new SettleTracker(temp.path, { settleMs: 200 });
    tracker.on('settled', (file) => settled.push(file));
    writeFileSync(join(temp.path, 'real.txt'), 'abc');
    tracker.track('real.txt');
    await waitFor(() => settled.length === 1, { what: 'settled' });
    expect(settled[0]).toMatchObject({ relPath: 'real.txt', size: 3 });
    await waitFor(() => tracker.pendingCount === 0, { what: 'nothing pending' });
  });
});
