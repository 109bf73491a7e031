import type { WatchEvent, WatchSink } from '../../src/daemon/watch/folder-watcher.js';

/** A watcher's sink that records what it is told: events in order, reconciles asked for; a failure is thrown at the test. */
export function recordingSink(): { sink: WatchSink; events: WatchEvent[]; missed: () => number } {
  const events: WatchEvent[] = [];
  let missed = 0;
  const sink: WatchSink = {
    event: (kind, relPath) => events.push({ kind, relPath }),
    fail: (error) => {
      throw error;
    },
    missed: () => missed++,
  };
  return { sink, events, missed: () => missed };
}
