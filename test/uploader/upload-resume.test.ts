import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { crc64 } from '../../src/lib/crc64.js';
import { FileChangedError, UploadAbortedError } from '../../src/uploader/index.js';
import type { RecordedUpload } from '../../src/uploader/index.js';
import { KiB, useUploaderHarness } from './harness.js';
import { MemoryJournal } from './memory-journal.js';

const SIZE = 1000 * KiB + 7; // 11 parts of 100 KiB

describe('FileUploader resume (in-process, journal in memory)', () => {
  const h = useUploaderHarness();

  /** Upload one part at a time and stop (as a shutdown would) once `parts` parts are recorded. */
  async function interruptedUpload(
    key: string,
    parts: number,
    snapshotAt = parts,
  ): Promise<{ path: string; content: Buffer; snapshot: RecordedUpload }> {
    const { path, content } = h.randomFile(key, SIZE);
    const journal = new MemoryJournal();
    const controller = new AbortController();
    let snapshot: RecordedUpload | undefined;
    journal.onPart = (n) => {
      if (n === snapshotAt) snapshot = journal.recordedUpload();
      if (n === parts) controller.abort();
    };
    const upload = h
      .uploader({ partConcurrency: 1 })
      .upload({ localPath: path, bucket: h.oss.bucket, key, journal, signal: controller.signal });
    await expect(upload).rejects.toThrow(UploadAbortedError);
    h.oss.emulator.requestLog.clear();
    return { path, content, snapshot: snapshot! };
  }

  it('sends only the parts that were not recorded, with the recorded part size', async () => {
    const { path, content, snapshot } = await interruptedUpload('resume.bin', 3);
    const journal = new MemoryJournal(snapshot);
    // The configured part size changed since: the upload keeps the one it began with.
    const outcome = await h.uploader({ partSize: 300 * KiB }).upload({ localPath: path, bucket: h.oss.bucket, key: 'resume.bin', journal });
    expect(await h.getObject('resume.bin')).toEqual(content);
    expect(outcome.crc64).toBe(crc64(content));
    expect(outcome.uploadId).toBe(snapshot.uploadId);
    expect(h.partRequests('resume.bin').sort((a, b) => a - b)).toEqual([4, 5, 6, 7, 8, 9, 10, 11]);
    expect(Math.max(...h.requests('resume.bin', 'UploadPart').map((e) => e.bytesReceived))).toBe(100 * KiB);
    expect(h.requests('resume.bin', 'InitiateMultipartUpload')).toHaveLength(0);
  });

  it('re-sends parts the server acknowledged but the journal never recorded', async () => {
    // The journal "crashed" after part 3; parts 4 and 5 reached the server anyway.
    const { path, content, snapshot } = await interruptedUpload('unrecorded.bin', 5, 3);
    expect(snapshot.parts).toHaveLength(3);
    const journal = new MemoryJournal(snapshot);
    await h.uploader().upload({ localPath: path, bucket: h.oss.bucket, key: 'unrecorded.bin', journal });
    expect(await h.getObject('unrecorded.bin')).toEqual(content);
    expect(h.partRequests('unrecorded.bin').sort((a, b) => a - b)).toEqual([4, 5, 6, 7, 8, 9, 10, 11]);
  });

  it('re-sends a recorded part the server does not have', async () => {
    const { path, content, snapshot } = await interruptedUpload('lost-part.bin', 3);
    snapshot.parts.push({ partNumber: 4, size: 100 * KiB, etag: '"0123456789ABCDEF0123456789ABCDEF"', crc64: '1' });
    const journal = new MemoryJournal(snapshot);
    await h.uploader().upload({ localPath: path, bucket: h.oss.bucket, key: 'lost-part.bin', journal });
    expect(await h.getObject('lost-part.bin')).toEqual(content);
    expect(h.partRequests('lost-part.bin')).toContain(4);
    expect(h.partRequests('lost-part.bin')).not.toContain(3);
  });

  it('starts anew when the server no longer has the upload', async () => {
    const { path, content, snapshot } = await interruptedUpload('expired.bin', 3);
    h.oss.emulator.faults.add({ match: { operation: 'ListParts', key: 'expired.bin' }, action: { type: 'forgetUpload' } });
    const journal = new MemoryJournal(snapshot);
    const outcome = await h.uploader().upload({ localPath: path, bucket: h.oss.bucket, key: 'expired.bin', journal });
    expect(await h.getObject('expired.bin')).toEqual(content);
    expect(outcome.uploadId).not.toBe(snapshot.uploadId);
    expect(journal.events[0]).toBe(`abandoned ${snapshot.uploadId}`);
    expect(h.partRequests('expired.bin')).toHaveLength(11);
  });

  it('finds an upload completed just before a crash and sends nothing', async () => {
    const { path, content } = h.randomFile('completed.bin', SIZE);
    const journal = new MemoryJournal();
    journal.fileUploaded = () => {
      throw new Error('crash before the file was marked done');
    };
    await expect(h.uploader().upload({ localPath: path, bucket: h.oss.bucket, key: 'completed.bin', journal })).rejects.toThrow(/crash/);
    const recorded = journal.recordedUpload()!;
    expect(recorded.parts).toHaveLength(11);
    h.oss.emulator.requestLog.clear();

    const after = new MemoryJournal(recorded);
    const outcome = await h.uploader().upload({ localPath: path, bucket: h.oss.bucket, key: 'completed.bin', journal: after });
    expect(outcome).toMatchObject({ uploadId: recorded.uploadId, crc64: crc64(content), size: SIZE });
    expect(after.events).toEqual(['uploaded']);
    expect(h.partRequests('completed.bin')).toEqual([]);
    expect(h.requests('completed.bin', 'PutObject')).toHaveLength(0);
    expect(h.requests('completed.bin', 'InitiateMultipartUpload')).toHaveLength(0);
  });

  it('aborts the old upload and starts anew when the file changed between runs', async () => {
    const { path, snapshot } = await interruptedUpload('changed.bin', 3);
    appendFileSync(path, 'more');
    const journal = new MemoryJournal(snapshot);
    await h.uploader().upload({ localPath: path, bucket: h.oss.bucket, key: 'changed.bin', journal });
    expect(await h.getObject('changed.bin')).toEqual(readFileSync(path));
    expect(h.requests('changed.bin', 'AbortMultipartUpload').map((e) => e.uploadId)).toEqual([snapshot.uploadId]);
    expect(journal.events.slice(0, 2)).toEqual([`abandoned ${snapshot.uploadId}`, expect.stringMatching(/^started /)]);
    expect(h.partRequests('changed.bin')).toHaveLength(11);
  });

  it('never completes a file that changed mid-upload: the old object stays', async () => {
    const { path, content: v1 } = h.randomFile('torn.bin', SIZE);
    await h.uploader().upload({ localPath: path, bucket: h.oss.bucket, key: 'torn.bin', journal: new MemoryJournal() });

    const journal = new MemoryJournal();
    const v2 = Buffer.alloc(SIZE, 2);
    writeFileSync(path, Buffer.alloc(SIZE, 1));
    journal.onPart = (n) => {
      if (n === 2) writeFileSync(path, v2); // same size, new mtime: only the fingerprint tells
    };
    const upload = h.uploader({ partConcurrency: 1 }).upload({ localPath: path, bucket: h.oss.bucket, key: 'torn.bin', journal });
    await expect(upload).rejects.toThrow(FileChangedError);
    expect(await h.getObject('torn.bin')).toEqual(v1);
    expect(journal.outcome).toBeUndefined();
    expect(journal.upload).toBeUndefined();
    expect(h.requests('torn.bin', 'CompleteMultipartUpload')).toHaveLength(1); // only the first upload's
    expect(h.requests('torn.bin', 'AbortMultipartUpload')).toHaveLength(1);
  });
});
