/**
 * kill -9 of `oss-sync run` (a child process) at the points that matter, then a restart: the
 * objects must end up exactly as on disk, only in-flight parts may be sent again, nothing that
 * was complete is uploaded twice, and no multipart upload is left on the server.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RequestLogEntry } from '../../src/emulator/index.js';
import { createSyncFixture, type CliProcess, type SyncFixture } from '../helpers/sync-fixture.js';
import { waitFor } from '../helpers/wait.js';

const PART = 100 * 1024;
const PARTS = 12;

function uploadsOf(entries: RequestLogEntry[], key: string, op: string): RequestLogEntry[] {
  return entries.filter((e) => e.key === key && e.operation === op && e.status === 200);
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1);
}

async function allVerified(fx: SyncFixture, count: number): Promise<boolean> {
  const store = fx.openStore();
  try {
    const c = store.report.folderCounts().find((f) => f.folder === 'main');
    return c?.verified === count;
  } finally {
    store.close();
  }
}

/**
 * kill -9 of `cli` the moment the emulator has done `operation` and queued its answer, before the
 * answer can leave (the log records it in res.end, before the bytes): the server did the work and
 * the process never heard of it, a window too narrow to reach by timing.
 */
function killWhenAnswered(fx: SyncFixture, cli: CliProcess, operation: RequestLogEntry['operation']): void {
  const log = fx.emu.emulator.requestLog;
  const record = log.record.bind(log);
  log.record = (entry) => {
    if (entry.operation === operation && entry.status === 200) cli.child.kill('SIGKILL');
    record(entry);
  };
}

async function noUploadsLeft(fx: SyncFixture): Promise<boolean> {
  return ((await fx.emu.client().listUploads({})).uploads ?? []).length === 0;
}

describe('kill -9 and resume', () => {
  let fx: SyncFixture;
  afterEach(async () => fx?.cleanup());

  type KillPoint =
    | 'before the first part is acknowledged'
    | 'midway through the parts'
    | 'after the last part, before Complete'
    | 'after Complete, before the database knows';

  it.each<KillPoint>([
    'before the first part is acknowledged',
    'midway through the parts',
    'after the last part, before Complete',
    'after Complete, before the database knows',
  ])('resumes a multipart upload killed %s, re-sending only in-flight parts', async (point) => {
    fx = await createSyncFixture([{ name: 'main' }], { concurrency: { files: 1, parts_per_file: 3 } });
    const content = randomBytes(PART * PARTS - 1234);
    writeFileSync(join(fx.folder('main'), 'db.dump'), content);
    const key = 'main/db.dump';
    const faults = fx.emu.emulator.faults;
    if (point === 'before the first part is acknowledged')
      faults.add({ match: { operation: 'UploadPart' }, times: Infinity, action: { type: 'latency', ms: 20_000 } });
    if (point === 'midway through the parts') {
      faults.add({ match: { operation: 'UploadPart' }, times: Infinity, action: { type: 'latency', ms: 150 } });
      // The second half hangs, so the kill surely lands midway however slow the machine is.
      for (let n = PARTS / 2 + 1; n <= PARTS; n++)
        faults.add({ match: { operation: 'UploadPart', partNumber: n }, times: Infinity, action: { type: 'latency', ms: 20_000 } });
    }
    if (point === 'after the last part, before Complete')
      faults.add({ match: { operation: 'CompleteMultipartUpload' }, times: Infinity, action: { type: 'latency', ms: 20_000 } });

    const first = fx.spawnCli(['run', '--config', fx.configPath]);
    if (point === 'after Complete, before the database knows') killWhenAnswered(fx, first, 'CompleteMultipartUpload');
    const recorded = new Set<number>();
    const store = fx.openStore();
    try {
      await waitFor(
        () => {
          const row = store.queue.find('main', 'db.dump');
          const upload = row && store.uploads.forFile(row.id);
          if (!upload) return false;
          if (point === 'before the first part is acknowledged') return true;
          if (point === 'midway through the parts') return upload.parts.length >= PARTS / 2;
          if (point === 'after the last part, before Complete') return upload.parts.length === PARTS;
          return first.child.exitCode !== null || first.child.signalCode !== null;
        },
        { what: `the upload to reach: ${point}` },
      );
      if (first.child.signalCode === null) first.child.kill('SIGKILL');
      expect((await first.exited).signal).toBe('SIGKILL');
      const row = store.queue.find('main', 'db.dump')!;
      for (const p of store.uploads.forFile(row.id)?.parts ?? []) recorded.add(p.partNumber);
    } finally {
      store.close();
    }

    faults.clear();
    const ackedByServer = new Set(uploadsOf(fx.emu.emulator.requestLog.entries(), key, 'UploadPart').map((e) => e.partNumber!));
    fx.emu.emulator.requestLog.clear();
    fx.spawnCli(['run', '--config', fx.configPath]);
    await waitFor(() => allVerified(fx, 1), { what: 'the file to be verified after restart' });
    expect((await fx.remote(key))?.equals(content)).toBe(true);
    await waitFor(() => noUploadsLeft(fx), { what: 'no multipart upload left on the server' });

    const after = fx.emu.emulator.requestLog.entries();
    const resent = uploadsOf(after, key, 'UploadPart').map((e) => e.partNumber!);
    // Parts recorded before the kill are never sent again...
    expect(resent.filter((n) => recorded.has(n))).toEqual([]);
    // ...and at most the parts that were in flight (parts_per_file = 3) are re-sent beyond the missing ones.
    expect(resent.sort((a, b) => a - b)).toEqual(range(PARTS).filter((n) => !recorded.has(n)));
    // Bytes sent twice: only parts the server acknowledged while the kill came before we recorded
    // them, i.e. at most the parts in flight (parts_per_file = 3).
    expect(resent.filter((n) => ackedByServer.has(n)).length).toBeLessThanOrEqual(3);
    if (point === 'after Complete, before the database knows') {
      expect(recorded.size).toBe(PARTS);
      expect(resent).toEqual([]);
      expect(after.filter((e) => e.operation === 'PutObject' || e.operation === 'InitiateMultipartUpload')).toEqual([]);
    }
    if (point === 'midway through the parts') expect(recorded.size).toBeGreaterThanOrEqual(PARTS / 2);
  });

  // Without it, the parts would cost storage until the start after next.
  it('aborts at once the interrupted upload of a file deleted while the daemon was down', async () => {
    fx = await createSyncFixture([{ name: 'main' }], { concurrency: { files: 1, parts_per_file: 3 } });
    const path = join(fx.folder('main'), 'db.dump');
    writeFileSync(path, randomBytes(PART * PARTS));
    writeFileSync(join(fx.folder('main'), 'stays.txt'), 'the folder is not empty (an empty one looks unmounted)');
    fx.emu.emulator.faults.add({
      match: { operation: 'UploadPart', partNumber: PARTS },
      times: Infinity,
      action: { type: 'latency', ms: 20_000 },
    });
    const first = fx.spawnCli(['run', '--config', fx.configPath]);
    await waitFor(async () => uploadsOf(fx.emu.emulator.requestLog.entries(), 'main/db.dump', 'UploadPart').length >= 3, {
      what: 'parts of the upload on the server',
    });
    first.child.kill('SIGKILL');
    await first.exited;
    fx.emu.emulator.faults.clear();
    rmSync(path);

    const again = fx.spawnCli(['once', '--config', fx.configPath]);
    expect((await again.exited).code, again.stderr.join('\n')).toBe(0);
    expect(await noUploadsLeft(fx)).toBe(true);
    expect(await fx.remoteKeys()).toEqual(['main/stays.txt']);
  });

  it('after a kill -9 with many files queued and uploading, uploads every file exactly once more at most, and never a finished one', async () => {
    fx = await createSyncFixture([{ name: 'main' }], { concurrency: { files: 3, parts_per_file: 2 } });
    const files = new Map<string, Buffer>();
    for (let i = 0; i < 40; i++) files.set(`small/${String(i).padStart(2, '0')}.txt`, randomBytes(100 + i * 37));
    for (let i = 0; i < 3; i++) files.set(`big/${i}.bin`, randomBytes(PART * 6 + i));
    for (const [rel, data] of files) {
      const full = join(fx.folder('main'), rel);
      mkdirSync(dirname(full), { recursive: true });
      writeFileSync(full, data);
    }
    fx.emu.emulator.faults.add({ match: {}, times: Infinity, action: { type: 'latency', ms: 40 } });
    // One multipart upload hangs at its end, so one is surely in progress when the kill comes.
    fx.emu.emulator.faults.add({
      match: { operation: 'CompleteMultipartUpload', key: 'main/big/0.bin' },
      times: Infinity,
      action: { type: 'latency', ms: 20_000 },
    });
    const first = fx.spawnCli(['run', '--config', fx.configPath]);
    const store = fx.openStore();
    let verifiedAtKill: string[] = [];
    try {
      await waitFor(
        () => {
          const c = store.report.folderCounts().find((f) => f.folder === 'main');
          return c && c.verified >= 10 && store.uploads.count() > 0;
        },
        { what: 'some files done and a multipart upload in progress' },
      );
      first.child.kill('SIGKILL');
      await first.exited;
      verifiedAtKill = [...files.keys()].filter((rel) => store.queue.find('main', rel)?.state === 'verified');
    } finally {
      store.close();
    }
    fx.emu.emulator.faults.clear();
    fx.emu.emulator.requestLog.clear();
    fx.spawnCli(['run', '--config', fx.configPath]);
    await waitFor(() => allVerified(fx, files.size), { what: 'every file verified after restart' });
    for (const [rel, data] of files) expect((await fx.remote(`main/${rel}`))?.equals(data), rel).toBe(true);
    const written = fx.emu.emulator.requestLog
      .entries()
      .filter((e) => ['PutObject', 'InitiateMultipartUpload', 'UploadPart'].includes(e.operation ?? ''))
      .map((e) => e.key);
    for (const rel of verifiedAtKill) expect(written, `${rel} was complete before the kill`).not.toContain(`main/${rel}`);
    await waitFor(() => noUploadsLeft(fx), { what: 'no orphaned multipart upload' });
  });
});

describe('multipart uploads the database never recorded', () => {
  let fx: SyncFixture;
  afterEach(async () => fx?.cleanup());

  it('are aborted at the next start when a kill came between Initiate and recording the upload ID', async () => {
    fx = await createSyncFixture();
    const content = randomBytes(PART * 4);
    writeFileSync(join(fx.folder('main'), 'big.bin'), content);
    const first = fx.spawnCli(['run', '--config', fx.configPath]);
    killWhenAnswered(fx, first, 'InitiateMultipartUpload');
    expect((await first.exited).signal).toBe('SIGKILL');
    const stranded = (await fx.emu.client().listUploads({})).uploads ?? [];
    expect(stranded.map((u) => u.name)).toEqual(['main/big.bin']);

    const second = fx.spawnCli(['run', '--config', fx.configPath]);
    await second.waitForLog((r) => r.msg === 'aborted orphaned multipart upload' && r.uploadId === stranded[0]!.uploadId);
    await waitFor(() => allVerified(fx, 1), { what: 'the file uploaded by a fresh upload' });
    expect((await fx.remote('main/big.bin'))?.equals(content)).toBe(true);
    await waitFor(() => noUploadsLeft(fx), { what: 'nothing left on the server' });
  });
});
