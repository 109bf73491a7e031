import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createTree } from '../helpers/fixtures.js';
import { createSyncFixture, type SyncFixture } from '../helpers/sync-fixture.js';
import { waitFor } from '../helpers/wait.js';

let fx: SyncFixture | undefined;
afterEach(async () => {
  await fx?.cleanup();
  fx = undefined;
});

/** Whether the process is stopped (SIGSTOP): state 'T' in /proc/PID/stat. */
function stopped(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('T');
  } catch {
    return false;
  }
}

function holds(dir: string, marker: Buffer): boolean {
  return readdirSync(dir, { withFileTypes: true }).some((e) =>
    e.isDirectory() ? holds(join(dir, e.name), marker) : e.isFile() && readFileSync(join(dir, e.name)).includes(marker),
  );
}

describe.skipIf(process.platform !== 'linux')('`once` never uploads what a link swapped in for a queued file leads to', () => {
  it("a queued file and a queued file's directory swapped for links to root-only files: neither content leaves the machine", async () => {
    fx = await createSyncFixture([{ name: 'main' }]);
    const folder = fx.folder('main');
    createTree(folder, { 'notes.txt': 'public notes', 'reports/q1.txt': 'public report' });
    for (const rel of ['notes.txt', 'reports/q1.txt'])
      utimesSync(join(folder, rel), new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    const marker = randomBytes(48);
    const outside = join(fx.root, 'outside');
    mkdirSync(join(outside, 'reports'), { recursive: true });
    writeFileSync(join(outside, 'shadow'), Buffer.concat([marker, marker]), { mode: 0o600 });
    writeFileSync(join(outside, 'reports', 'q1.txt'), Buffer.concat([marker, marker]), { mode: 0o600 });

    // The failpoint stops the process as the first upload begins, after the walk queued both files.
    const cli = fx.spawnCli(['once', '--config', fx.configPath], { OSS_SYNC_FAILPOINT: 'before-file-open:stop' });
    const pid = cli.child.pid!;
    await waitFor(() => stopped(pid), { what: 'once to stop before opening its first file' });
    unlinkSync(join(folder, 'notes.txt'));
    symlinkSync(join(outside, 'shadow'), join(folder, 'notes.txt'));
    renameSync(join(folder, 'reports'), join(folder, 'reports.real'));
    symlinkSync(join(outside, 'reports'), join(folder, 'reports'));
    // Each upload stops there again: let each go on, until `once` is done.
    let exited = false;
    void cli.exited.then(() => (exited = true));
    await waitFor(
      () => {
        if (stopped(pid)) process.kill(pid, 'SIGCONT');
        return exited;
      },
      { what: 'once to finish', timeoutMs: 60_000 },
    );

    expect(await fx.remoteKeys()).toEqual([]);
    expect(holds(fx.emu.dataDir, marker)).toBe(false);
    const refused = cli.stdout.filter((l) => l.includes('file not read')).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(refused.map((r) => r.path).sort()).toEqual(['notes.txt', 'reports/q1.txt']);
    expect(refused.find((r) => r.path === 'notes.txt')?.reason).toBe(
      `refused to read ${join(folder, 'notes.txt')}: it is a symbolic link; not uploaded, treated as gone`,
    );
    expect(refused.find((r) => r.path === 'reports/q1.txt')?.reason).toContain(`${join(folder, 'reports')} is a symbolic link`);
    // Treated as gone, never parked: nothing waits for `oss-sync retry`.
    const store = fx.openStore();
    try {
      expect(store.queue.find('main', 'notes.txt')?.state).not.toBe('failed');
      expect(store.queue.find('main', 'reports/q1.txt')?.state).not.toBe('failed');
    } finally {
      store.close();
    }
  });
});
