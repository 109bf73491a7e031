import { FileChangedError } from './errors.js';
import { HashedFileRange } from './hashed-file-range.js';
import { InMemoryBody } from './in-memory-body.js';
import type { UploadOutcome, UploadResult } from './journal.js';
import { fingerprintChange, fingerprintOf } from './local-file.js';
import { isPrefixSnapshot } from './prefix-snapshot.js';
import { requestTimeoutMs, sendVerified } from './upload-context.js';
import type { UploadContext } from './upload-context.js';

/**
 * A small file in one PutObject. Sent again (bounded) if the server's checksums disagree; never
 * marked done if the file changed while it was read (one that only grew gives a prefix snapshot).
 *
 * `snapshot`: the file's bytes, read whole and checked unchanged across the read (see snapshotFile):
 * sent from memory, no re-stat needed. Without it the file is streamed and hashed on the way, and
 * stat'ed again afterwards.
 */
export async function putFile(ctx: UploadContext, snapshot?: Buffer): Promise<UploadResult> {
  const { storage, ref, settings, fingerprint } = ctx;
  const body = snapshot ? new InMemoryBody(snapshot) : new HashedFileRange(ctx.file, 0, fingerprint.size, settings.readHighWaterMark);
  // Invariant: the object's recorded checksums are forgotten (durably) before a PutObject is sent.
  // Once sent, the object may hold these bytes (or, streamed, a torn mix) even if we never hear back.
  ctx.journal.objectReplacing();
  const { stored, local } = await sendVerified(`PutObject oss://${ref.bucket}/${ref.key}`, body, settings, () =>
    storage.put(ref, body, { ...ctx.newObject, signal: ctx.signal, timeoutMs: requestTimeoutMs(settings, fingerprint.size) }),
  );
  let prefixSnapshot = false;
  if (!snapshot) {
    // Changed while streamed: the object holds a true prefix snapshot (a log that grew) or a mix of
    // old and new bytes: not done then; the re-queued upload replaces it.
    const change = fingerprintChange(fingerprint, await fingerprintOf(ctx.file));
    if (change && !(await isPrefixSnapshot(ctx.file, fingerprint, local.crc64))) throw new FileChangedError(ctx.localPath, change);
    prefixSnapshot = change !== undefined;
  }

  const outcome: UploadOutcome = {
    ...ref,
    size: fingerprint.size,
    etag: stored.etag,
    crc64: local.crc64,
    fingerprint,
    ...(prefixSnapshot ? { prefixSnapshot: true as const } : {}),
  };
  const committed = Promise.resolve(ctx.journal.fileUploaded(outcome));
  ctx.reportProgress(fingerprint.size);
  return { ...outcome, committed };
}
