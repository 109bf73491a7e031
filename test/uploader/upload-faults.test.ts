import { unlinkSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { crc64 } from '../../src/lib/crc64.js';
import {
  FileGoneError,
  IntegrityError,
  MemoryBudget,
  Pacer,
  StorageError,
  UploadAbortedError,
  classifyError,
} from '../../src/uploader/index.js';
import type { RetryEvent } from '../../src/uploader/index.js';
import { waitFor } from '../helpers/wait.js';
import { KiB, useUploaderHarness, testRetryPolicy } from './harness.js';
import { MemoryJournal } from './memory-journal.js';

describe('FileUploader under faults (injected by the emulator)', () => {
  const h = useUploaderHarness();

  it('retries SlowDown, 500 and connection resets mid-part; the object is still correct', async () => {
    const { path, content } = h.randomFile('flaky.bin', 700 * KiB);
    const { faults } = h.oss.emulator;
    faults.add({ match: { operation: 'UploadPart', partNumber: 2 }, times: 2, action: { type: 'error', status: 503, code: 'SlowDown' } });
    faults.add({ match: { operation: 'UploadPart', partNumber: 3 }, action: { type: 'reset', afterBytes: 50 * KiB } });
    faults.add({ match: { operation: 'UploadPart', partNumber: 5 }, action: { type: 'error', status: 500, code: 'InternalError' } });
    faults.add({ match: { operation: 'CompleteMultipartUpload' }, action: { type: 'error', status: 500, code: 'InternalError' } });
    const retries: RetryEvent[] = [];
    const uploader = h.uploader({}, h.storage({ policy: testRetryPolicy({ onRetry: (e) => retries.push(e) }) }));

    const outcome = await uploader.upload({ localPath: path, bucket: h.oss.bucket, key: 'flaky.bin', journal: new MemoryJournal() });
    expect(await h.getObject('flaky.bin')).toEqual(content);
    expect(outcome.crc64).toBe(crc64(content));
    expect(h.partRequests('flaky.bin').filter((n) => n === 2)).toHaveLength(3);
    expect(h.partRequests('flaky.bin').filter((n) => n === 3)).toHaveLength(2);
    expect(retries.map((r) => r.operation).sort()).toEqual([
      'CompleteMultipartUpload',
      'UploadPart',
      'UploadPart',
      'UploadPart',
      'UploadPart',
    ]);
  });

  it('retries a PutObject that failed with 503', async () => {
    const { path, content } = h.randomFile('put-flaky.bin', 50 * KiB);
    h.oss.emulator.faults.add({ match: { operation: 'PutObject' }, action: { type: 'error', status: 503, code: 'SlowDown' } });
    h.oss.emulator.faults.add({ match: { operation: 'PutObject' }, nth: 2, action: { type: 'reset', afterBytes: 10 * KiB } });
    await h.uploader().upload({ localPath: path, bucket: h.oss.bucket, key: 'put-flaky.bin', journal: new MemoryJournal() });
    expect(await h.getObject('put-flaky.bin')).toEqual(content);
  });

  it('sends a small file with Content-MD5: the server refuses a body damaged on the way, and it is sent again', async () => {
    const { path, content } = h.randomFile('digest.bin', 30 * KiB);
    h.oss.emulator.faults.add({ match: { operation: 'PutObject' }, action: { type: 'corrupt', atByte: 1234 } });
    await h.uploader().upload({ localPath: path, bucket: h.oss.bucket, key: 'digest.bin', journal: new MemoryJournal() });
    expect(await h.getObject('digest.bin')).toEqual(content);
    expect(h.requests('digest.bin', 'PutObject')).toHaveLength(2);
  });

  // Buffered parts (in memory) and streamed ones (the memory budget cannot hold them) alike.
  it.each([
    ['buffered', {}],
    ['streamed', { memoryBudget: new MemoryBudget(KiB) }],
  ])('rejects a %s part damaged on the way by its CRC-64, sends it again and records only the good one', async (kind, options) => {
    const name = `damaged-${kind}.bin`;
    const { path, content } = h.randomFile(name, 750 * KiB);
    h.oss.emulator.faults.add({ match: { operation: 'UploadPart', partNumber: 3 }, action: { type: 'corrupt', atByte: 1234 } });
    const journal = new MemoryJournal();
    const outcome = await h.uploader(options).upload({ localPath: path, bucket: h.oss.bucket, key: name, journal });
    expect(await h.getObject(name)).toEqual(content);
    expect(outcome.crc64).toBe(crc64(content));
    expect(h.partRequests(name).filter((n) => n === 3)).toHaveLength(2);
    expect(journal.events.filter((e) => e === 'part 3')).toHaveLength(1);
  });

  it('gives up on a part the server stores damaged every time, with an IntegrityError, never recording it', async () => {
    const { path } = h.randomFile('always-damaged.bin', 350 * KiB);
    h.oss.emulator.faults.add({
      match: { operation: 'UploadPart', partNumber: 2 },
      times: Infinity,
      action: { type: 'corrupt', atByte: 10 },
    });
    const journal = new MemoryJournal();
    const upload = h.uploader().upload({ localPath: path, bucket: h.oss.bucket, key: 'always-damaged.bin', journal });
    await expect(upload).rejects.toThrow(IntegrityError);
    expect(h.partRequests('always-damaged.bin').filter((n) => n === 2)).toHaveLength(3);
    expect(journal.events).not.toContain('part 2');
  });

  it('checks the clock and retries after RequestTimeTooSkewed', async () => {
    const { path, content } = h.randomFile('skewed.bin', 20 * KiB);
    h.oss.emulator.faults.add({ match: { operation: 'PutObject' }, action: { type: 'error', status: 403, code: 'RequestTimeTooSkewed' } });
    await h.uploader().upload({ localPath: path, bucket: h.oss.bucket, key: 'skewed.bin', journal: new MemoryJournal() });
    expect(await h.getObject('skewed.bin')).toEqual(content);
    expect(h.requests('skewed.bin', 'PutObject')).toHaveLength(2);
  });

  it('stops at once with a clear, secret-free error on a wrong secret', async () => {
    const { path } = h.randomFile('denied.bin', 300 * KiB);
    const secret = 'definitely-the-wrong-secret';
    const uploader = h.uploader({}, h.storage({ accessKeySecret: secret }));
    const error = await uploader
      .upload({ localPath: path, bucket: h.oss.bucket, key: 'denied.bin', journal: new MemoryJournal() })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageError);
    const storageError = error as StorageError;
    expect(storageError.code).toBe('SignatureDoesNotMatch');
    expect(storageError.status).toBe(403);
    expect(storageError.message).toContain(`oss://${h.oss.bucket}/denied.bin`);
    expect(storageError.message).toContain('SignatureDoesNotMatch');
    expect(classifyError(error)).toBe('fatal');
    expect(JSON.stringify({ ...storageError, message: storageError.message, stack: storageError.stack })).not.toContain(secret);
    // Only this upload's requests: a previous test's last entry may be logged after the log was cleared.
    expect(h.oss.emulator.requestLog.entries().filter((e) => e.key === 'denied.bin')).toHaveLength(1);
  });

  it('on abort keeps acknowledged parts recorded and the upload open on the server', async () => {
    const { path } = h.randomFile('aborted.bin', 1000 * KiB);
    const journal = new MemoryJournal();
    const controller = new AbortController();
    journal.onPart = (n) => {
      if (n === 3) controller.abort();
    };
    // Part 5 hangs, so something is in flight when the abort comes.
    h.oss.emulator.faults.add({
      match: { operation: 'UploadPart', partNumber: 5 },
      action: { type: 'throttle', bytesPerSecond: 10 * KiB },
    });
    const upload = h
      .uploader({ partConcurrency: 2 })
      .upload({ localPath: path, bucket: h.oss.bucket, key: 'aborted.bin', journal, signal: controller.signal });
    await expect(upload).rejects.toThrow(UploadAbortedError);

    const recorded = journal.recordedUpload();
    expect(recorded?.parts.length).toBeGreaterThanOrEqual(3);
    const storage = h.storage();
    const onServer = await storage.listParts({ bucket: h.oss.bucket, key: 'aborted.bin' }, recorded!.uploadId);
    for (const part of recorded!.parts) expect(onServer.find((p) => p.partNumber === part.partNumber)?.etag).toBe(part.etag);
    const uploads = await storage.listMultipartUploads(h.oss.bucket, 'aborted.bin');
    expect(uploads.map((u) => u.uploadId)).toContain(recorded!.uploadId);
    expect(h.requests('aborted.bin', 'AbortMultipartUpload')).toHaveLength(0);
  });

  it('abandons the wait between retries when aborted', async () => {
    const { path } = h.randomFile('abort-wait.bin', 50 * KiB);
    h.oss.emulator.faults.add({
      match: { operation: 'PutObject' },
      times: Infinity,
      action: { type: 'error', status: 503, code: 'SlowDown' },
    });
    const controller = new AbortController();
    const hourLong = {
      pacer: new Pacer({ minDelayMs: 3_600_000, maxDelayMs: 3_600_000 }),
      policy: testRetryPolicy({ maxTimeMs: 7_200_000 }),
    };
    const upload = h
      .uploader({}, h.storage(hourLong))
      .upload({ localPath: path, bucket: h.oss.bucket, key: 'abort-wait.bin', journal: new MemoryJournal(), signal: controller.signal });
    await waitFor(() => h.requests('abort-wait.bin', 'PutObject').length === 1, { what: 'the first PutObject' });
    controller.abort();
    await expect(upload).rejects.toThrow(UploadAbortedError);
    expect(h.requests('abort-wait.bin', 'PutObject')).toHaveLength(1);
  });

  it('reports a file deleted before or during the upload as gone, aborting its upload', async () => {
    await expect(
      h.uploader().upload({ localPath: `${h.dir.path}/nope.bin`, bucket: h.oss.bucket, key: 'nope.bin', journal: new MemoryJournal() }),
    ).rejects.toThrow(FileGoneError);

    const { path } = h.randomFile('vanishing.bin', 1000 * KiB);
    const journal = new MemoryJournal();
    journal.onPart = (n) => {
      if (n === 2) unlinkSync(path);
    };
    const upload = h.uploader({ partConcurrency: 1 }).upload({ localPath: path, bucket: h.oss.bucket, key: 'vanishing.bin', journal });
    await expect(upload).rejects.toThrow(FileGoneError);
    expect(journal.upload).toBeUndefined();
    expect(h.requests('vanishing.bin', 'AbortMultipartUpload')).toHaveLength(1);
  });
});
