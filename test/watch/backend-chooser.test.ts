import { describe, expect, it } from 'vitest';
import { chooseBackend, DEFAULT_NATIVE_THRESHOLD } from '../../src/daemon/watch/create-folder-watcher.js';
import { readFileSync } from 'node:fs';
import { inotifyBudget, watchesOfProcess } from '../../src/daemon/watch/inotify-budget.js';

describe('chooseBackend', () => {
  it('picks chokidar for small folders and native above the file threshold', () => {
    expect(chooseBackend({ fileCount: 500, dirCount: 10, budget: 100_000 })).toBe('chokidar');
    expect(chooseBackend({ fileCount: DEFAULT_NATIVE_THRESHOLD, dirCount: 10, budget: 1_000_000 })).toBe('chokidar');
    expect(chooseBackend({ fileCount: DEFAULT_NATIVE_THRESHOLD + 1, dirCount: 10, budget: 1_000_000 })).toBe('native');
    expect(chooseBackend({ fileCount: 600, budget: 1_000_000, threshold: 500 })).toBe('native');
  });

  it('picks native when chokidar (a watch per file and directory) would exceed the inotify budget', () => {
    expect(chooseBackend({ fileCount: 5_000, dirCount: 100, budget: 5_000 })).toBe('native');
    expect(chooseBackend({ fileCount: 4_000, dirCount: 100, budget: 5_000 })).toBe('chokidar');
  });

  it('falls back to rescans when not even a watch per directory fits', () => {
    expect(chooseBackend({ fileCount: 5_000, dirCount: 100, budget: 50 })).toBe('rescan');
  });
});

describe('inotify budget', () => {
  it('is max_user_watches less the watches this user holds (this process among them) and a margin', () => {
    const max = Number(readFileSync('/proc/sys/fs/inotify/max_user_watches', 'utf8'));
    expect(max).toBeGreaterThan(0);
    const budget = inotifyBudget();
    expect(budget).toBeGreaterThanOrEqual(0);
    expect(budget).toBeLessThanOrEqual(Math.max(0, max - watchesOfProcess('self') - 1_024));
  });
});
