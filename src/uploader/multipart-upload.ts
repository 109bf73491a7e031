import { crc64Combine, crc64CombineAll } from '../lib/crc64.js';
import { BufferedFileRange } from './buffered-file-range.js';
import { FileChangedError, FileGoneError, IntegrityError, storageErrorCode } from './errors.js';
import type { RecordedPart, RecordedUpload, UploadResult } from './journal.js';
import type { ListedPart, ObjectRef } from './object-storage.js';
import { choosePartSize, planParts } from './part-plan.js';
import type { PlannedPart } from './part-plan.js';
import { etagHex, grewSinceStart, recordUploaded, requestTimeoutMs, sendVerified, typedFailure } from './upload-context.js';
import type { UploadContext } from './upload-context.js';

/**
 * Parts up to this size are read into one reused buffer per part in flight and sent from memory
 * (memory: partConcurrency x part size); bigger ones (huge files' raised part size) are streamed.
 */
const MAX_BUFFERED_PART_BYTES = 16 * 1024 * 1024;

/**
 * One file's multipart upload, new or resumed: sends the missing parts in parallel, records each as the
 * server acknowledges it, and completes only an unchanged file, checking the object's CRC-64 against the parts'.
 */
export class MultipartUpload {
  private readonly done = new Map<number, RecordedPart>();
  /** The CRC-64 of parts 1..parts combined, advanced as they are acknowledged: Complete combines only the last few. */
  private prefix = { parts: 0, crc64: '0' };

  private constructor(
    private readonly ctx: UploadContext,
    private readonly uploadId: string,
    private readonly planned: PlannedPart[],
    kept: RecordedPart[],
  ) {
    for (const part of kept) this.done.set(part.partNumber, part);
  }

  static async start(ctx: UploadContext): Promise<UploadResult> {
    const { storage, ref, fingerprint, settings } = ctx;
    const partSize = choosePartSize(fingerprint.size, settings.partSize);
    const planned = planParts(fingerprint.size, partSize);
    const uploadId = await storage.initMultipart(ref, { ...ctx.newObject, signal: ctx.signal, timeoutMs: requestTimeoutMs() });
    ctx.journal.uploadStarted({ uploadId, ...ref, partSize, partCount: planned.length, fingerprint, createdAt: Date.now() });
    return new MultipartUpload(ctx, uploadId, planned, []).run(planned);
  }

  /** Resume a recorded upload of the same, unchanged file, with the recorded part size. */
  static async resume(ctx: UploadContext, recorded: RecordedUpload): Promise<UploadResult> {
    const { storage, ref, fingerprint } = ctx;
    const planned = planParts(fingerprint.size, recorded.partSize);
    let onServer;
    try {
      onServer = await storage.listParts(ref, recorded.uploadId, { signal: ctx.signal, timeoutMs: requestTimeoutMs() });
    } catch (err) {
      if (storageErrorCode(err) !== 'NoSuchUpload') throw err;
      // Gone: expired, aborted, or completed just before a crash (then every part was recorded).
      const allRecorded = recorded.parts.length === recorded.partCount && recorded.partCount === planned.length;
      const completed = allRecorded ? await findCompletedObject(ctx, recorded.uploadId, recorded.parts) : undefined;
      if (completed) return completed;
      ctx.journal.uploadAbandoned(recorded.uploadId);
      return MultipartUpload.start(ctx);
    }
    if (planned.length !== recorded.partCount) {
      await abandonUpload(ctx, ref, recorded.uploadId);
      return MultipartUpload.start(ctx);
    }
    const { kept, toSend } = planResume(planned, recorded.parts, onServer);
    return new MultipartUpload(ctx, recorded.uploadId, planned, kept).run(toSend);
  }

  private async run(toSend: PlannedPart[]): Promise<UploadResult> {
    try {
      this.reportProgress();
      await this.sendParts(toSend);
      return await this.complete();
    } catch (err) {
      const failure = typedFailure(this.ctx.file.path, this.ctx.signal, err);
      // A file that changed or vanished will never complete this upload: free the server's parts.
      if (failure instanceof FileChangedError || failure instanceof FileGoneError) {
        await abandonUpload(this.ctx, this.ctx.ref, this.uploadId);
      }
      throw failure;
    }
  }

  /** At most partConcurrency parts in flight; after the first failure or an abort, no new part starts. */
  private async sendParts(toSend: PlannedPart[]): Promise<void> {
    const queue = [...toSend];
    let failure: { error: unknown } | undefined;
    const largest = Math.max(...toSend.map((p) => p.size));
    const memoryBudget = this.ctx.settings.memoryBudget;
    const wanted = Math.min(this.ctx.settings.partConcurrency, queue.length);
    // One buffer per worker, reused part after part, paid from the shared memory budget: as many as it
    // affords now (at least one, waited for). None: parts are streamed, wanted at a time.
    const buffered = wanted > 0 && largest <= MAX_BUFFERED_PART_BYTES; // none to send: a resume after the last part
    const granted = !buffered ? 0 : memoryBudget ? await memoryBudget.acquireUpTo(wanted, largest, this.ctx.signal) : wanted;
    const worker = async (buffer: Buffer | undefined): Promise<void> => {
      for (let part = queue.shift(); part && !failure && !this.ctx.signal?.aborted; part = queue.shift()) {
        try {
          await this.sendPart(part, buffer);
        } catch (error) {
          failure ??= { error };
        }
      }
    };
    try {
      const buffers = Array.from({ length: granted }, () => Buffer.allocUnsafeSlow(largest));
      await Promise.all(Array.from({ length: granted || wanted }, (_, i) => worker(buffers[i])));
    } finally {
      // Every worker is done with its buffer. (A request the server answered early, with an error, may
      // still be writing its body from one: only to that already-answered request, never a recorded part.)
      if (memoryBudget && granted > 0) memoryBudget.release(granted * largest);
    }
    if (failure) throw failure.error;
    this.ctx.signal?.throwIfAborted();
  }

  /**
   * With a buffer, the part is read into it as it is sent and hashed once (a retry sends it from memory);
   * without one (above MAX_BUFFERED_PART_BYTES, or beyond the memory budget) each attempt reads and hashes it.
   */
  private async sendPart(part: PlannedPart, buffer: Buffer | undefined): Promise<void> {
    const { storage, ref, signal } = this.ctx;
    const body = new BufferedFileRange(this.ctx.file, part.start, part.size, buffer?.subarray(0, part.size));
    const what = `part ${part.partNumber} of oss://${ref.bucket}/${ref.key}`;
    const { stored, crc64 } = await sendVerified(what, body, () =>
      storage.uploadPart(ref, this.uploadId, part.partNumber, body, { signal, timeoutMs: requestTimeoutMs(part.size) }),
    );
    const recorded: RecordedPart = { partNumber: part.partNumber, size: part.size, etag: stored.etag, crc64 };
    this.ctx.journal.partAcknowledged(this.uploadId, recorded);
    this.done.set(part.partNumber, recorded);
    this.advancePrefix();
    this.reportProgress();
  }

  private advancePrefix(): void {
    for (let next = this.done.get(this.prefix.parts + 1); next; next = this.done.get(this.prefix.parts + 1)) {
      this.prefix = { parts: next.partNumber, crc64: crc64Combine(this.prefix.crc64, next.crc64, next.size) };
    }
  }

  private async complete(): Promise<UploadResult> {
    const ctx = this.ctx;
    const { storage, ref } = ctx;
    const parts = [...this.done.values()].sort((a, b) => a.partNumber - b.partNumber);
    if (parts.length !== this.planned.length) throw new Error(`internal: ${parts.length} of ${this.planned.length} parts done`);
    this.advancePrefix();
    const expectedCrc = this.prefix.crc64;
    // Never a Complete of a file rewritten in place or truncated: it would replace a good object with a torn mix.
    const prefixSnapshot = await grewSinceStart(ctx, expectedCrc);

    // Invariant: the object's recorded checksums are forgotten (durably) before Complete is sent:
    // a Complete that times out or fails its check may still have replaced the object.
    ctx.journal.objectReplacing();
    let stored;
    try {
      const completed = parts.map((p) => ({ partNumber: p.partNumber, etag: p.etag }));
      stored = await storage.completeMultipart(ref, this.uploadId, completed, { timeoutMs: requestTimeoutMs() });
    } catch (err) {
      // A retried Complete whose first attempt succeeded finds no upload: look at the object instead.
      if (storageErrorCode(err) !== 'NoSuchUpload') throw err;
      const found = await findCompletedObject(ctx, this.uploadId, parts);
      if (found) return found;
      ctx.journal.uploadAbandoned(this.uploadId);
      throw err;
    }
    const crc64 = stored.crc64 ?? (await storage.head(ref, { timeoutMs: requestTimeoutMs() }))?.crc64;
    if (crc64 !== expectedCrc) {
      ctx.journal.uploadAbandoned(this.uploadId);
      throw new IntegrityError(`object oss://${ref.bucket}/${ref.key}`, expectedCrc, crc64 ?? '(none)');
    }
    return recordUploaded(ctx, { etag: stored.etag, crc64, uploadId: this.uploadId, prefixSnapshot });
  }

  private reportProgress(): void {
    let bytes = 0;
    for (const part of this.done.values()) bytes += part.size;
    this.ctx.reportProgress(bytes);
  }
}

/**
 * The object an upload with these (all recorded) parts would have produced, if it is on the server:
 * same size and CRC-64 as the parts combined. Then the file is done without sending anything.
 */
async function findCompletedObject(ctx: UploadContext, uploadId: string, recordedParts: RecordedPart[]): Promise<UploadResult | undefined> {
  const parts = [...recordedParts].sort((a, b) => a.partNumber - b.partNumber);
  const size = parts.reduce((sum, p) => sum + p.size, 0);
  if (size !== ctx.fingerprint.size) return undefined;
  const crc64 = crc64CombineAll(parts);
  const info = await ctx.storage.head(ctx.ref, { signal: ctx.signal, timeoutMs: requestTimeoutMs() });
  if (!info || info.size !== size || info.crc64 !== crc64) return undefined;
  return recordUploaded(ctx, { etag: info.etag, crc64, uploadId, prefixSnapshot: false });
}

/** Abort an upload on the server (best effort: a leftover is only storage, cleaned by listMultipartUploads) and forget it. */
export async function abandonUpload(ctx: UploadContext, ref: ObjectRef, uploadId: string): Promise<void> {
  try {
    await ctx.storage.abortMultipart(ref, uploadId, { timeoutMs: requestTimeoutMs() });
  } catch {
    // Recorded or not, the upload is of no use any more; forgetting it must not wait for the network.
  }
  ctx.journal.uploadAbandoned(uploadId);
}

/**
 * Reconcile what the journal recorded with what ListParts shows. A part counts only when both agree
 * (same ETag and size): a part the server has but we never recorded was not verified by us, so it is
 * sent again; a recorded part the server lost is sent again. `kept`: recorded and still on the server
 * unchanged, not sent again; `toSend`: everything else.
 */
export function planResume(
  planned: PlannedPart[],
  recorded: RecordedPart[],
  onServer: ListedPart[],
): { kept: RecordedPart[]; toSend: PlannedPart[] } {
  const recordedByNumber = new Map(recorded.map((p) => [p.partNumber, p]));
  const serverByNumber = new Map(onServer.map((p) => [p.partNumber, p]));
  const kept: RecordedPart[] = [];
  const toSend: PlannedPart[] = [];
  for (const part of planned) {
    const mine = recordedByNumber.get(part.partNumber);
    const theirs = serverByNumber.get(part.partNumber);
    if (mine?.size === part.size && theirs?.size === part.size && etagHex(mine.etag) === etagHex(theirs.etag)) kept.push(mine);
    else toSend.push(part);
  }
  return { kept, toSend };
}
