import { appendFileSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SettleTracker } from '../../src/daemon/watch/index.js';
import type { SettledFile } from '../../src/daemon/watch/index.js';
import { tempDir } from '../helpers/fixtures.js';
import { waitFor } from '../helpers/wait.js';

describe('SettleTracker', () => {
  let temp: ReturnType<typeof tempDir>;
  let clock: number;
  let tracker: SettleTracker;
  let settled: SettledFile[];
  let removed: string[];

  /** A tracker driven by checkNow() and a hand-moved clock; real files, real lstat. */
  function manualTracker(settleMs = 1_000, statsPerTurn?: number): SettleTracker {
    tracker = new SettleTracker(temp.path, { settleMs, now: () => clock, tickMs: 3_600_000, statsPerTurn });
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
    temp.remove();
  });

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
    manualTracker(1_000, 500);
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
