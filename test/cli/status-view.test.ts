import { describe, expect, it } from 'vitest';
import type { StatusSnapshot } from '../../src/cli/status-snapshot.js';
import { renderStatus } from '../../src/cli/status-view.js';

function snapshot(failed: number): StatusSnapshot {
  const problems = Array.from({ length: Math.min(50, failed) }, (_, i) => ({
    folder: 'logs',
    relPath: `f${i}.log`,
    attempts: 10,
    lastError: 'InternalError',
    retrying: false,
    nextAttemptAt: 0,
  }));
  return {
    schemaVersion: 1,
    stateDb: '/var/lib/oss-sync/state.db',
    database: { exists: true, healthy: true, problems: [] },
    daemon: { running: true, pid: 42, startedAt: null, uptimeSeconds: 3600, version: '0.1.0' },
    folders: [
      {
        folder: 'logs',
        queued: 1,
        uploading: 1,
        verified: 5,
        failed,
        deleting: 0,
        retrying: 0,
        queuedBytes: 3 << 20,
        verifiedBytes: 1024,
        mode: 'watching',
        note: null,
        path: '/var/log/app',
        inConfig: true,
      },
    ],
    uploading: [],
    problems,
    totals: { queued: 1, uploading: 1, uploaded: 5, failed, retrying: 0, deleting: 0, queuedBytes: 3 << 20, uploadedBytes: 1024 },
  };
}

describe('status for a person', () => {
  it('counts the bytes still to send against queued and uploading files together', () => {
    expect(renderStatus(snapshot(0))).toContain('total: 1 queued, 1 uploading (3.0 MiB to send), 5 uploaded (1.0 KiB), 0 failed');
  });

  it('says how many failed files the list leaves out', () => {
    const text = renderStatus(snapshot(60));
    expect(text.match(/^ {2}logs\/f\d+\.log {2}after 10 attempt/gm)).toHaveLength(50);
    expect(text).toContain('  ... and 10 more (`oss-sync status --json` lists the first 50 problems)');
    expect(renderStatus(snapshot(3))).not.toContain('more (');
  });

  // Another process holding the lock (a user who could open it, a daemon between its lock and its
  // registration) is not "running (pid ?)".
  it('says who holds the lock when no daemon is registered', () => {
    const s = snapshot(0);
    const text = renderStatus({ ...s, daemon: { ...s.daemon, pid: null, uptimeSeconds: null, version: null } });
    expect(text).toContain('daemon: none registered, but another process holds the lock /var/lib/oss-sync/state.db.lock');
    expect(text).not.toContain('pid ?');
  });
});
