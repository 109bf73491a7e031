import { InMemoryBody } from './in-memory-body.js';
import type { UploadResult } from './journal.js';
import { grewSinceStart, recordUploaded, requestTimeoutMs, sendVerified } from './upload-context.js';
import type { UploadContext } from './upload-context.js';

/**
 * A small file in one PutObject, sent from memory: `snapshot` is its content, read whole and checked
 * unchanged across the read (see snapshotFile). Sent again (bounded) if the server's checksums
 * disagree.
 *
 * `recheck`: stat the file again once the object is stored. A file that changed meanwhile is not
 * marked done: the object holds a consistent earlier version (or, if the file only grew, a true
 * prefix snapshot of it), and the re-queued upload replaces it.
 */
export async function putFile(ctx: UploadContext, snapshot: Buffer, recheck: boolean): Promise<UploadResult> {
  const { storage, ref, fingerprint } = ctx;
  const body = new InMemoryBody(snapshot);
  // Invariant: the object's recorded checksums are forgotten (durably) before a PutObject is sent.
  // Once sent, the object may hold these bytes even if we never hear back.
  ctx.journal.objectReplacing();
  const { stored, crc64 } = await sendVerified(`PutObject oss://${ref.bucket}/${ref.key}`, body, () =>
    storage.put(ref, body, { ...ctx.newObject, signal: ctx.signal, timeoutMs: requestTimeoutMs(fingerprint.size) }),
  );
  const prefixSnapshot = recheck && (await grewSinceStart(ctx, crc64));
  return recordUploaded(ctx, { etag: stored.etag, crc64, prefixSnapshot });
}
