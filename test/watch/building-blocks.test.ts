import { afterEach, describe, expect, it } from 'vitest';
import { DirectorySet } from '../../src/daemon/watch/directory-set.js';
import { EventBatcher } from '../../src/daemon/watch/event-batcher.js';
import type { WatchEvent } from '../../src/daemon/watch/folder-watcher.js';
import { degradedMessage, simulatedLimitError, watchLimitCode } from '../../src/daemon/watch/watch-limit.js';
import { waitFor } from '../helpers/wait.js';

describe('EventBatcher', () => {
  const batchers: EventBatcher[] = [];
  afterEach(() => batchers.splice(0).forEach((b) => b.discard()));

  function batcher(maxBatch?: number): { batches: WatchEvent[][]; batcher: EventBatcher } {
    const batches: WatchEvent[][] = [];
    const b = new EventBatcher((events) => batches.push(events), 20, maxBatch);
    batchers.push(b);
    return { batches, batcher: b };
  }

  it('keeps the latest event per path, in the order of the latest events', async () => {
    const { batches, batcher: b } = batcher();
    b.push('changed', 'a');
    b.push('dir-removed', 'd');
    b.push('changed', 'b');
    b.push('removed', 'a');
    b.push('changed', 'd/x');
    await waitFor(() => batches.length === 1, { what: 'one batch' });
    expect(batches[0]).toEqual([
      { kind: 'dir-removed', relPath: 'd' },
      { kind: 'changed', relPath: 'b' },
      { kind: 'removed', relPath: 'a' },
      { kind: 'changed', relPath: 'd/x' },
    ]);
  });

  it('flushes early at maxBatch paths, bounding memory in a storm', () => {
    const { batches, batcher: b } = batcher(100);
    for (let i = 0; i < 250; i++) b.push('changed', `f${i}`);
    expect(batches.map((batch) => batch.length)).toEqual([100, 100]);
    b.flush();
    expect(batches.map((batch) => batch.length)).toEqual([100, 100, 50]);
  });
});

describe('DirectorySet', () => {
  it('knows directories and forgets whole subtrees', () => {
    const dirs = new DirectorySet();
    for (const d of ['a', 'a/b', 'a/b/c', 'a/d', 'e']) dirs.add(d);
    dirs.add('x/y/z'); // ancestors come along
    expect(dirs.has('x')).toBe(true);
    dirs.removeSubtree('a');
    expect(['a', 'a/b', 'a/b/c', 'a/d'].some((d) => dirs.has(d))).toBe(false);
    expect(['e', 'x', 'x/y', 'x/y/z'].every((d) => dirs.has(d))).toBe(true);
  });
});

describe('watch limits', () => {
  it('recognises limit errors by code or by parcel message', () => {
    expect(watchLimitCode(simulatedLimitError('ENOSPC', '/x'))).toBe('ENOSPC');
    expect(watchLimitCode(new Error("inotify_add_watch on '/x' failed: No space left on device"))).toBe('ENOSPC');
    expect(watchLimitCode(new Error('inotify_init1 failed: Too many open files'))).toBe('EMFILE');
    expect(watchLimitCode(Object.assign(new Error('x'), { code: 'EACCES' }))).toBeUndefined();
  });

  it('says how to fix it', () => {
    const message = degradedMessage('/data', 'chokidar', 'ENOSPC', 30_000);
    expect(message).toContain('sysctl fs.inotify.max_user_watches=');
    expect(message).toContain('every 30 s');
  });
});
