/**
 * A folder removed from the config (by a SIGHUP reload, or missing from the config a restarted
 * daemon starts with): its transfers stop, every multipart upload recorded for its files is aborted
 * on OSS and forgotten, and its file rows stay queued, so re-adding the folder uploads again.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import type { RequestLogEntry } from '../../src/emulator/index.js';
import { createSyncFixture, type SyncFixture } from '../helpers/sync-fixture.js';
import { waitFor } from '../helpers/wait.js';

const PART = 100 * 1024;
const KEY = 'a/big.bin';

/** Every UploadPart after the first fails with 503, again and again: the upload is stuck mid-way. */
function stallPartsAfterTheFirst(fx: SyncFixture): void {
  fx.emu.emulator.faults.add({
    match: { operation: 'UploadPart' },
    nth: 2,
    times: Infinity,
    action: { type: 'error', status: 503, code: 'ServiceUnavailable' },
  });
}

/** The recorded upload of a/big.bin once at least one part is acknowledged. */
async function uploadMidway(fx: SyncFixture): Promise<string> {
  const store = fx.openStore();
  try {
    return await waitFor(
      () => {
        const row = store.queue.find('a', 'big.bin');
        const upload = row && store.uploads.forFile(row.id);
        return upload && upload.parts.length >= 1 ? upload.uploadId : undefined;
      },
      { what: 'the upload of a/big.bin to be midway' },
    );
  } finally {
    store.close();
  }
}

async function serverUploadsOf(fx: SyncFixture, key: string): Promise<string[]> {
  const listed = (await fx.emu.client().listUploads({})).uploads ?? [];
  return listed.filter((u) => u.name === key).map((u) => u.uploadId);
}

function stateOfRemovedFile(fx: SyncFixture): { state: string | undefined; uploads: number; inFlight: number } {
  const store = fx.openStore();
  try {
    const row = store.queue.find('a', 'big.bin');
    return { state: row?.state, uploads: store.uploads.count(), inFlight: store.report.inFlight().length };
  } finally {
    store.close();
  }
}

function ops(entries: RequestLogEntry[], key: string, operation: string): RequestLogEntry[] {
  return entries.filter((e) => e.key === key && e.operation === operation);
}

describe('a folder removed from the config', () => {
  let fx: SyncFixture;
  afterEach(async () => fx?.cleanup());

  it('by a reload: its transfer stops, its multipart upload is aborted and forgotten; re-added, the file goes up again whole', async () => {
    fx = await createSyncFixture([{ name: 'main' }, { name: 'a' }], { concurrency: { files: 2, parts_per_file: 2 } });
    const content = randomBytes(PART * 8 + 123);
    writeFileSync(join(fx.folder('a'), 'big.bin'), content);
    stallPartsAfterTheFirst(fx);
    const { daemon, logs } = await fx.startDaemon();
    const uploadId = await uploadMidway(fx);
    expect(await serverUploadsOf(fx, KEY)).toEqual([uploadId]);

    fx.writeConfig([{ name: 'main' }]);
    await daemon.reload(loadConfig(fx.configPath));
    expect(await serverUploadsOf(fx, KEY)).toEqual([]);
    // No record left; the row is queued (not 'uploading' forever), so status tells the truth.
    expect(stateOfRemovedFile(fx)).toEqual({ state: 'queued', uploads: 0, inFlight: 0 });
    expect(
      logs.some((l) => l.includes('aborted the multipart upload of a file whose folder is not in the config') && l.includes(uploadId)),
    ).toBe(true);
    // The transfer was stopped before the abort: no part was sent to the upload after it was aborted.
    const log = fx.emu.emulator.requestLog.entries();
    const abortAt = log.findIndex((e) => e.operation === 'AbortMultipartUpload' && e.uploadId === uploadId);
    expect(abortAt).toBeGreaterThan(-1);
    expect(log.slice(abortAt).filter((e) => e.operation === 'UploadPart' && e.uploadId === uploadId)).toEqual([]);

    // Back in the config: uploaded again from scratch, byte for byte.
    fx.emu.emulator.faults.clear();
    fx.emu.emulator.requestLog.clear();
    fx.writeConfig([{ name: 'main' }, { name: 'a' }]);
    await daemon.reload(loadConfig(fx.configPath));
    await waitFor(async () => (await fx.remote(KEY))?.equals(content), { what: 'a/big.bin uploaded after the folder came back' });
    const again = fx.emu.emulator.requestLog.entries();
    expect(ops(again, KEY, 'InitiateMultipartUpload').filter((e) => e.status === 200)).toHaveLength(1);
    expect(
      new Set(
        ops(again, KEY, 'UploadPart')
          .filter((e) => e.status === 200)
          .map((e) => e.partNumber),
      ).size,
    ).toBe(9);
    await waitFor(async () => (await serverUploadsOf(fx, KEY)).length === 0, { what: 'no upload left on the server' });
    expect(logs.filter((l) => l.includes('"level":"error"'))).toEqual([]);
  });

  it('at start-up: a daemon killed mid-upload and restarted without the folder aborts and forgets its upload', async () => {
    fx = await createSyncFixture([{ name: 'main' }, { name: 'a' }], { concurrency: { files: 2, parts_per_file: 2 } });
    const content = randomBytes(PART * 8 + 321);
    writeFileSync(join(fx.folder('a'), 'big.bin'), content);
    stallPartsAfterTheFirst(fx);
    const first = fx.spawnCli(['run', '--config', fx.configPath]);
    const uploadId = await uploadMidway(fx);
    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    fx.emu.emulator.faults.clear();
    expect(await serverUploadsOf(fx, KEY)).toEqual([uploadId]);

    fx.writeConfig([{ name: 'main' }]);
    const { daemon, logs } = await fx.startDaemon();
    expect(await serverUploadsOf(fx, KEY)).toEqual([]);
    expect(stateOfRemovedFile(fx)).toEqual({ state: 'queued', uploads: 0, inFlight: 0 });
    expect(
      logs.some((l) => l.includes('aborted the multipart upload of a file whose folder is not in the config') && l.includes(uploadId)),
    ).toBe(true);

    fx.emu.emulator.requestLog.clear();
    fx.writeConfig([{ name: 'main' }, { name: 'a' }]);
    await daemon.reload(loadConfig(fx.configPath));
    await waitFor(async () => (await fx.remote(KEY))?.equals(content), { what: 'a/big.bin uploaded after the folder came back' });
    expect(ops(fx.emu.emulator.requestLog.entries(), KEY, 'InitiateMultipartUpload').filter((e) => e.status === 200)).toHaveLength(1);
    await waitFor(async () => (await serverUploadsOf(fx, KEY)).length === 0, { what: 'no upload left on the server' });
  });
});
