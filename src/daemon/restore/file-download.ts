import { createHash } from 'node:crypto';
import {
  close as closeFd,
  closeSync,
  constants,
  createReadStream,
  fchmod as fchmodFd,
  fchmodSync,
  futimes as futimesFd,
  futimesSync,
  open as openFd,
  openSync,
  renameSync,
  write as writeFd,
  writeSync,
} from 'node:fs';
import { type FileHandle, open, rename, rm, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { Crc64, crc64, crc64CombineAll } from '../../lib/crc64.js';
import type { RestoredPart, RestoreProgress } from '../../store/index.js';
import { StorageError, type ObjectDownload, type ObjectStorage } from '../../uploader/index.js';
import { forEachLimit } from '../../lib/for-each-limit.js';
import { isArchived } from './archive-thaw.js';
import { inDir, namingRealPaths, type RestoreDir } from './restore-dirs.js';

export interface DownloadJob {
  bucket: string;
  key: string;
  /** The version to fetch (restore --at); the current object when absent. */
  versionId?: string;
  /** Absolute path the file gets; the caller has checked its directory is inside --to (RestoreDirs). */
  target: string;
  /** The target's directory, held by the caller (RestoreDirs.enter) until this returns; absent: by path, through the pool. */
  dir?: RestoreDir;
  /** From the listing: decides between one GET and ranged parts. */
  size: number;
  /** From the listing: a GET refused (403) on an archive class means "restore it on OSS first". */
  storageClass?: string;
  /** Pays the memory budget for `bytes` instead of the listed size: called before an object listed small but since grown is streamed. */
  payFor?: (bytes: number) => Promise<void>;
}

export interface DownloadSettings {
  /** Bytes per ranged GET of a large object. */
  partSize: number;
  /** Objects at least this large are fetched in ranged parts (resumable part by part). */
  rangedThreshold: number;
  /** Ranged GETs of one file at once. */
  partsInParallel: number;
  /** Attempts per file (a CRC-64 mismatch or a broken body starts it again). */
  attempts: number;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface DownloadDeps {
  storage: ObjectStorage;
  progress: RestoreProgress;
  /** Bytes written (for the progress line). */
  onBytes: (n: number) => void;
}

export interface DownloadResult {
  bytes: number;
  /** Bytes a previous, killed run had already written and checked. */
  resumedBytes: number;
}

/**
 * Downloads one object into a temporary file beside the target and renames it into place.
 * Invariant: the rename happens only after the CRC-64 of every byte written (computed as it was
 * written) equals the object's x-oss-hash-crc64ecma; a mismatch starts the file again, and after
 * `attempts` the temporary file is removed and the target is left as it was.
 */
export async function downloadFile(deps: DownloadDeps, job: DownloadJob, settings: DownloadSettings): Promise<DownloadResult> {
  const temp = tempPathFor(job.target);
  // Invariant: no file-system call names temp or target by path where the directory is held open:
  // a component swapped for a link since the directory was checked would lead it out of --to.
  const at: CallPaths = { temp: inDir(job.dir, temp), target: inDir(job.dir, job.target) };
  try {
    if (isRanged(job.size, settings)) return await downloadRanged(deps, job, temp, at, settings);
    if (job.size > SMALL_OBJECT_BYTES) return await downloadWhole(deps, job, at, settings);
    const small = await downloadSmall(deps, job, at, settings);
    if (small) return small;
    // Listed small but since grown (undefined): streamed to the file like any other, once its write
    // batches are paid for (its body was, not them).
    await job.payFor?.(streamBuffers());
    return await downloadWhole(deps, job, at, settings);
  } catch (err) {
    throw describe(job, namingRealPaths(job.dir, err));
  }
}

/** The temporary file and the target as the calls name them (inDir); messages name the real paths. */
interface CallPaths {
  temp: string;
  target: string;
}

/** Objects fetched in ranged parts (resumable part by part), `partsInParallel` streams at once. */
export function isRanged(size: number, settings: DownloadSettings): boolean {
  return size >= settings.rangedThreshold && size > settings.partSize;
}

/**
 * The most memory a download of an object of `size` holds at once, which a restore pays from
 * concurrency.memory before it starts: a small object's body, or streamBuffers() per stream of a larger one.
 */
export function downloadBuffers(size: number, settings: DownloadSettings): number {
  if (size <= SMALL_OBJECT_BYTES) return size;
  // Streams hold only bytes received: all together, at most the object's size.
  const streams = isRanged(size, settings) ? Math.min(settings.partsInParallel, Math.ceil(size / settings.partSize)) : 1;
  return Math.min(size, streams * streamBuffers());
}

/**
 * The settings for downloads paid from a budget of `budgetBytes`: no more streams per ranged object
 * than the budget holds (one at least). Invariant: downloadBuffers of any object fits the budget,
 * unless a single stream does not (a budget under 5 MiB): such a download pays the whole budget.
 */
export function streamsWithin(settings: DownloadSettings, budgetBytes: number): DownloadSettings {
  const streams = Math.max(1, Math.min(settings.partsInParallel, Math.floor(budgetBytes / streamBuffers())));
  return streams === settings.partsInParallel ? settings : { ...settings, partsInParallel: streams };
}

/** What one stream holds at most: its write batches queued, and the one being received. */
function streamBuffers(): number {
  return WRITE_BATCH * (WRITES_QUEUED + 1);
}

/**
 * How a temporary file is created: a new file, never one found at its name (createTemp). Invariant:
 * bytes are written only into --to: anyone who can write there can plant a link at the temporary
 * name, and a restore (often run as root) would otherwise truncate and fill the file it leads to,
 * anywhere: a symlink's target, or a hard link's other name (O_NOFOLLOW stopped only the first).
 */
const WRITE_TEMP = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL;

/**
 * Creates the temporary file by `open` (WRITE_TEMP). A file already at its name (a killed run's, or
 * a link planted there) is unlinked first, which removes only that name: never written through.
 */
async function createTemp<T>(temp: string, open: (path: string, flags: number, mode: number) => T | Promise<T>): Promise<T> {
  try {
    return await open(temp, WRITE_TEMP, 0o666);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    await unlink(temp);
    return await open(temp, WRITE_TEMP, 0o666);
  }
}

/**
 * The temporary name: hidden, and '.part' so that a watched folder's default ignores skip it.
 * Invariant: two targets never share one (both would write the one file, and one target get the
 * other's bytes, reported restored). A name over 200 bytes is replaced by its SHA-256 (whole: two
 * names sharing an 80-bit prefix take only ~2^40 tries to make), so a name that looks like such a
 * hash is hashed too: kept as it is, it would be a long name's stem.
 */
export function tempPathFor(target: string): string {
  const name = basename(target);
  const hashed = Buffer.byteLength(name) > 200 || /^[0-9a-f]{64}$/.test(name);
  const stem = hashed ? createHash('sha256').update(name).digest('hex') : name;
  return join(dirname(target), `.${stem}.oss-sync-restore.part`);
}

/** Objects up to this size are received into memory (the most held per file), checked, then written (placeChecked). */
const SMALL_OBJECT_BYTES = 64 * 1024;

/**
 * One GET into memory, checked by CRC-64, then put in place: a damaged body never reaches the disk
 * (no temporary file exists before the check). Undefined when the object is no longer small.
 * No progress row: a rerun finds each renamed file by its size and CRC-64 (restore-run.ts).
 */
async function downloadSmall(
  deps: DownloadDeps,
  job: DownloadJob,
  at: CallPaths,
  settings: DownloadSettings,
): Promise<DownloadResult | undefined> {
  const ref = { bucket: job.bucket, key: job.key, versionId: job.versionId };
  let lastError: unknown;
  for (let attempt = 1; attempt <= settings.attempts; attempt++) {
    try {
      const download = await deps.storage.get(ref, { signal: settings.signal, timeoutMs: settings.timeoutMs });
      // Invariant: memory holds at most SMALL_OBJECT_BYTES per file. The listing's size is no bound:
      // the object may have been replaced (by gigabytes) since; such a one is left to the stream.
      if (download.contentLength > SMALL_OBJECT_BYTES) {
        download.stream.destroy();
        return undefined;
      }
      const expected = requireCrc(job, download.crc64, download);
      const body = await readBody(download);
      const crc = crc64(body);
      if (crc !== expected) {
        lastError = new RestoreIntegrityError(`CRC-64 of the bytes received is ${crc}, the object's is ${expected}: damaged on the way`);
        continue;
      }
      await placeChecked(at.temp, at.target, body, download.meta, job.dir?.local ? DIRECT_CALLS : POOL_CALLS);
      deps.onBytes(body.length);
      return { bytes: body.length, resumedBytes: 0 };
    } catch (err) {
      if (!retryableBody(err, settings.signal)) throw err;
      lastError = err;
    }
  }
  throw lastError;
}

/** The calls that put a checked small file in place (placeChecked). */
interface PlaceCalls {
  open(path: string, flags: number, mode: number): number | Promise<number>;
  write(fd: number, buffer: Buffer, offset: number, length: number): number | Promise<number>;
  fchmod(fd: number, mode: number): void | Promise<void>;
  futimes(fd: number, atime: Date, mtime: number): void | Promise<void>;
  close(fd: number): void | Promise<void>;
  rename(from: string, to: string): void | Promise<void>;
}

/** On a local file system (RestoreDir.local). */
const DIRECT_CALLS: PlaceCalls = {
  open: openSync,
  write: writeSync,
  fchmod: fchmodSync,
  futimes: futimesSync,
  close: closeSync,
  rename: renameSync,
};

const writeInPool = promisify(writeFd);
/** On any other: through the thread pool. */
export const POOL_CALLS: PlaceCalls = {
  open: promisify(openFd),
  write: async (fd, buffer, offset, length) => (await writeInPool(fd, buffer, offset, length)).bytesWritten,
  fchmod: promisify(fchmodFd),
  futimes: promisify(futimesFd),
  close: promisify(closeFd),
  rename,
};

/**
 * Writes checked bytes to the temporary file, with the recorded mode and mtime, and renames it into
 * place. No fsync, as for every file (see putInPlace). On failure the temporary file is removed,
 * if this created it: when the create failed, whatever is at that name (a directory, say) is not ours.
 */
export async function placeChecked(
  temp: string,
  target: string,
  body: Buffer,
  meta: Record<string, string>,
  calls: PlaceCalls,
): Promise<void> {
  let fd: number | undefined;
  let created = false;
  try {
    fd = await createTemp(temp, calls.open);
    created = true;
    for (let off = 0; off < body.length;) off += await calls.write(fd, body, off, body.length - off);
    // Through the descriptor, not the path: the name could be a link by now (see WRITE_TEMP).
    const { mode, mtime } = fileMeta(meta);
    if (mode !== undefined) await calls.fchmod(fd, mode);
    if (mtime !== undefined) await calls.futimes(fd, new Date(), mtime);
    const closing = fd;
    fd = undefined;
    await calls.close(closing);
    await calls.rename(temp, target);
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    if (created) await rm(temp, { force: true });
    throw new LocalWriteError(`cannot write ${temp}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * The whole body of a small object (its length checked against Content-Length). By events, not
 * `for await`: the async iterator costs a promise and its machinery per chunk, per file.
 */
function readBody(download: ObjectDownload): Promise<Buffer> {
  const { stream, contentLength } = download;
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const fail = (err: Error): void => {
      stream.off('data', onData).off('end', onEnd);
      if (!stream.destroyed) stream.destroy();
      reject(err);
    };
    const onData = (chunk: Buffer): void => {
      received += chunk.length;
      if (received > contentLength) fail(new Error(`body longer than the ${contentLength} bytes announced`));
      else chunks.push(chunk);
    };
    const onEnd = (): void => {
      if (received !== contentLength) reject(new Error(`body ended after ${received} of ${contentLength} bytes`));
      else resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, received));
    };
    // Closed without its end (the connection dropped): short, whatever the error said, if anything.
    // 'close' follows every 'end' too, which has settled the promise (and an Error's stack costs ~30 us).
    const onClose = (): void => {
      if (!stream.readableEnded) reject(new Error(`body ended after ${received} of ${contentLength} bytes`));
    };
    stream.on('data', onData).once('end', onEnd).once('error', fail).once('close', onClose);
  });
}

async function downloadWhole(deps: DownloadDeps, job: DownloadJob, at: CallPaths, settings: DownloadSettings): Promise<DownloadResult> {
  const ref = { bucket: job.bucket, key: job.key, versionId: job.versionId };
  let lastError: unknown;
  for (let attempt = 1; attempt <= settings.attempts; attempt++) {
    const fh = await createTemp(at.temp, open);
    let renamed = false;
    try {
      const download = await deps.storage.get(ref, { signal: settings.signal, timeoutMs: settings.timeoutMs });
      const expected = requireCrc(job, download.crc64, download);
      let crc = '0'; // an empty body's, when no piece comes
      await writeBody(fh, download, 0, download.contentLength, download.contentLength, deps.onBytes, (_at, _size, c) => (crc = c));
      if (crc !== expected) {
        lastError = new RestoreIntegrityError(`CRC-64 of the bytes received is ${crc}, the object's is ${expected}: damaged on the way`);
        continue;
      }
      await putInPlace(fh, download.meta, at);
      renamed = true;
      return { bytes: download.contentLength, resumedBytes: 0 };
    } catch (err) {
      if (!retryableBody(err, settings.signal)) throw err;
      lastError = err;
    } finally {
      await fh.close().catch(() => undefined);
      if (!renamed) await rm(at.temp, { force: true });
    }
  }
  throw lastError;
}

async function downloadRanged(
  deps: DownloadDeps,
  job: DownloadJob,
  temp: string,
  at: CallPaths,
  settings: DownloadSettings,
): Promise<DownloadResult> {
  const ref = { bucket: job.bucket, key: job.key, versionId: job.versionId };
  const info = await deps.storage.head(ref, { signal: settings.signal, timeoutMs: settings.timeoutMs });
  if (!info) throw new StorageError('HeadObject', job.bucket, job.key, 'NoSuchKey', 404, undefined, 'the object is gone');
  const expected = requireCrc(job, info.crc64);
  const record = {
    target: job.target,
    bucket: job.bucket,
    key: job.key,
    etag: info.etag,
    size: info.size,
    partSize: settings.partSize,
    tempPath: temp,
  };
  const partCount = Math.max(1, Math.ceil(info.size / settings.partSize));
  const rangeOf = (n: number) => ({ start: (n - 1) * settings.partSize, end: Math.min(n * settings.partSize, info.size) - 1 });

  const done = new Map<number, RestoredPart>();
  let fh: FileHandle | undefined;
  const previous = deps.progress.find(job.target);
  if (previous && (['etag', 'size', 'partSize', 'tempPath'] as const).every((k) => previous.record[k] === record[k])) {
    // The kept temporary file, looked at through its descriptor: a hard link planted at its name (its
    // other name anywhere) is no file of ours to write into (WRITE_TEMP); createTemp replaces it.
    fh = await open(at.temp, constants.O_RDWR | constants.O_NOFOLLOW).catch(() => undefined);
    const kept = await fh?.stat();
    if (kept && !(kept.isFile() && kept.nlink === 1 && kept.size === info.size)) {
      await fh!.close();
      fh = undefined;
    }
  }
  let resumedBytes = 0;
  if (fh && previous) {
    // Parts recorded by the killed run are read back: only those whose bytes still have the CRC-64
    // recorded when they were written count (the temporary file is ours, but not locked).
    const bad: number[] = [];
    for (const part of previous.parts) {
      const range = rangeOf(part.partNumber);
      if (part.size === range.end - range.start + 1 && (await fileCrc64(at.temp, range.start, range.end)) === part.crc64) {
        done.set(part.partNumber, part);
        resumedBytes += part.size;
      } else {
        bad.push(part.partNumber);
      }
    }
    deps.progress.forgetParts(job.target, bad);
    deps.onBytes(resumedBytes);
  } else {
    deps.progress.begin(record);
    fh = await createTemp(at.temp, open);
    await fh.truncate(info.size);
  }

  let renamed = false;
  try {
    for (let attempt = 1; ; attempt++) {
      let failure: { error: unknown } | undefined;
      // A stream failing for good stops the others at once: the file has failed, and a stream left to
      // run would download the rest of its run (hundreds of MiB) before that is reported.
      const stop = new AbortController();
      const signal = settings.signal ? AbortSignal.any([settings.signal, stop.signal]) : stop.signal;
      await forEachLimit(missingRuns(partCount, done, settings.partsInParallel), settings.partsInParallel, async (run) => {
        // One ranged GET per run of parts; a broken body is asked for again from its first part not yet recorded.
        for (let tries = 1; !failure; tries++) {
          while (done.has(run.first)) run.first++;
          if (run.first > run.last) return;
          const before = done.size;
          try {
            const range = { start: rangeOf(run.first).start, end: rangeOf(run.last).end };
            const download = await deps.storage.get(ref, { range, ifMatch: info.etag, signal, timeoutMs: settings.timeoutMs });
            await writeBody(fh, download, range.start, range.end - range.start + 1, settings.partSize, deps.onBytes, (at, size, crc64) => {
              const part = { partNumber: at / settings.partSize + 1, size, crc64 };
              // Recorded only once written (the write is in the page cache: it survives kill -9).
              deps.progress.recordPart(job.target, part);
              done.set(part.partNumber, part);
            });
            return;
          } catch (err) {
            if (done.size > before) tries = 0; // a stream that got parts through is not failing
            if (!retryableBody(err, signal) || tries >= settings.attempts) {
              failure ??= { error: err };
              stop.abort();
            }
          }
        }
      });
      if (failure) throw done.size > 0 ? keptToResume(failure.error, temp) : failure.error;
      const parts = [...done.values()].sort((a, b) => a.partNumber - b.partNumber);
      const combined = info.size === 0 ? '0' : crc64CombineAll(parts);
      if (combined === expected) break;
      // Some range was damaged on the way; which one, only the whole object's CRC could tell: start over.
      deps.progress.begin(record);
      done.clear();
      if (attempt >= settings.attempts) {
        throw new RestoreIntegrityError(`CRC-64 of the bytes received is ${combined}, the object's is ${expected}: damaged on the way`);
      }
    }
    await putInPlace(fh, info.meta, at);
    renamed = true;
    deps.progress.finish(job.target);
    return { bytes: info.size, resumedBytes };
  } finally {
    await fh.close().catch(() => undefined);
    // A failure keeps the temporary file and its verified parts for the next run, unless nothing in it counts.
    if (!renamed && done.size === 0) {
      deps.progress.finish(job.target);
      await rm(at.temp, { force: true });
    }
  }
}

/**
 * The parts not yet done as at most `streams` runs of consecutive parts, one ranged GET each (a GET
 * costs per request: a GiB is a few streams, not 128 GETs). Each gap left by a killed run gets a
 * stream, each further one goes to the gap with the most parts per stream, and a gap is cut into
 * equal runs (more runs than `streams` only when there are more gaps than that).
 */
function missingRuns(partCount: number, done: ReadonlyMap<number, unknown>, streams: number): Array<{ first: number; last: number }> {
  const gaps: Array<{ first: number; parts: number; streams: number }> = [];
  for (let n = 1; n <= partCount; n++) {
    if (done.has(n)) continue;
    const last = gaps.at(-1);
    if (last && last.first + last.parts === n) last.parts++;
    else gaps.push({ first: n, parts: 1, streams: 1 });
  }
  for (let spare = streams - gaps.length; spare > 0 && gaps.length > 0; spare--) {
    const widest = gaps.reduce((a, b) => (b.parts / b.streams > a.parts / a.streams ? b : a));
    if (widest.parts <= widest.streams) break;
    widest.streams++;
  }
  return gaps.flatMap((g) =>
    Array.from({ length: g.streams }, (_, i) => ({
      first: g.first + Math.floor((i * g.parts) / g.streams),
      last: g.first + Math.floor(((i + 1) * g.parts) / g.streams) - 1,
    })),
  );
}

/** Bytes gathered before one positional write: a write per network chunk (16-64 KiB) cost a pool round trip each. */
const WRITE_BATCH = 1 << 20;

/**
 * Batches a stream may have waiting to be written while it goes on receiving (with one, a slow write
 * stopped the stream: bench/NOTES.md). Memory bound: this many batches, plus the one being received, per stream.
 */
const WRITES_QUEUED = 4;

/**
 * Streams the body to the file at `start`, hashing it as it arrives, cut into pieces of `pieceSize`
 * bytes (the last shorter): `onPiece` gets each piece's offset, size and CRC-64 once all its bytes
 * are written. The network chunks go to the file as they are (no copy), one writev per batch, and
 * batches are written (up to WRITES_QUEUED, in order) while the next is received.
 */
async function writeBody(
  fh: FileHandle,
  download: ObjectDownload,
  start: number,
  length: number,
  pieceSize: number,
  onBytes: (n: number) => void,
  onPiece: (at: number, size: number, crc64: string) => void,
): Promise<void> {
  let crc = new Crc64();
  let received = 0;
  let pieceStart = 0;
  let batch: Buffer[] = [];
  let batchBytes = 0;
  let writing: Promise<void> = Promise.resolve(); // the last write queued
  const queued: Array<Promise<void>> = [];
  // Invariant: a stream's writes run one after another, in order (each chained to the one before,
  // and none runs once one has failed); the last is awaited before this returns, and a piece is
  // handed on only after the write holding its last byte, so a recorded part is a written part,
  // and a failed write never outlives us.
  const flush = async (piece?: [number, number, string]): Promise<void> => {
    while (queued.length >= WRITES_QUEUED) await queued.shift();
    const chunks = batch;
    const bytes = batchBytes;
    const at = start + received - bytes;
    batch = [];
    batchBytes = 0;
    writing = writing
      .then(() => writeAllAt(fh, chunks, at))
      .then(() => {
        onBytes(bytes);
        if (piece) onPiece(...piece);
      });
    writing.catch(() => undefined); // awaited later; not an unhandled rejection meanwhile
    queued.push(writing);
  };
  try {
    for await (const chunk of download.stream) {
      let buf = chunk as Buffer;
      if (!(received + buf.length <= length)) throw new Error(`body longer than the ${length} bytes asked for`);
      while (buf.length > 0) {
        // A chunk that crosses a piece's end is cut there: the piece's CRC-64 ends with its last byte.
        const take = Math.min(buf.length, pieceStart + pieceSize - received);
        const head = take === buf.length ? buf : buf.subarray(0, take);
        buf = buf.subarray(take);
        crc.update(head);
        received += take;
        batch.push(head);
        batchBytes += take;
        if (received === Math.min(pieceStart + pieceSize, length)) {
          await flush([start + pieceStart, received - pieceStart, crc.digest()]);
          pieceStart = received;
          crc = new Crc64();
        } else if (batchBytes >= WRITE_BATCH) await flush();
      }
    }
    await writing;
  } catch (err) {
    // Only a body left unread is destroyed (which closes its connection): one read to its end
    // hands the keep-alive socket back for the next GET.
    if (!download.stream.destroyed) download.stream.destroy();
    await writing.catch(() => undefined);
    throw err;
  }
  if (received !== length) throw new Error(`body ended after ${received} of ${length} bytes`);
}

/** Writes the chunks, in order, at `position` (a short writev goes on with the rest; `rest` is consumed). */
async function writeAllAt(fh: FileHandle, rest: Buffer[], position: number): Promise<void> {
  while (rest.length > 0) {
    const { bytesWritten } = await fh.writev(rest, position).catch((err: unknown) => {
      throw new LocalWriteError(`cannot write the temporary file: ${(err as Error).message}`, { cause: err });
    });
    if (bytesWritten <= 0) throw new LocalWriteError('cannot write the temporary file: the disk took no bytes');
    position += bytesWritten;
    let skip = bytesWritten;
    while (rest.length > 0 && skip >= rest[0]!.length) skip -= rest.shift()!.length;
    if (skip > 0) rest[0] = rest[0]!.subarray(skip);
  }
}

/** A full disk keeps the temporary file and its checked parts (see the finally of downloadRanged): the error says why it is there. */
function keptToResume(err: unknown, temp: string): unknown {
  const code = ((err as Error).cause as NodeJS.ErrnoException | undefined)?.code;
  if (code !== 'ENOSPC' && code !== 'EDQUOT') return err;
  return new LocalWriteError(`${(err as Error).message}; ${temp} kept to resume: free space and run restore again`, { cause: err });
}

/** A body that broke or arrived damaged is fetched again; a request the storage gave up on is not. */
function retryableBody(err: unknown, signal: AbortSignal | undefined): boolean {
  if (signal?.aborted) return false;
  return !(err instanceof StorageError) && !(err instanceof LocalWriteError);
}

/** The bytes written do not have the object's CRC-64 (tried again): the temporary file is never renamed into place. */
class RestoreIntegrityError extends Error {
  override readonly name = 'RestoreIntegrityError';
}

/** The disk, not the network, failed: trying the download again would not help. */
class LocalWriteError extends Error {
  override readonly name = 'LocalWriteError';
}

/**
 * The object's CRC-64, which every byte restored is checked against. Invariant: a body refused for
 * lacking one is destroyed, never left unread: an unread body keeps its connection taken, and after
 * a few the client had no socket left for any other GET.
 */
function requireCrc(job: DownloadJob, crc64: string | undefined, unread?: ObjectDownload): string {
  if (crc64) return crc64;
  unread?.stream.destroy();
  throw new RestoreIntegrityError(`oss://${job.bucket}/${job.key} has no x-oss-hash-crc64ecma: its bytes cannot be checked`);
}

/**
 * The mode and mtime the uploader recorded (x-oss-meta-mode, x-oss-meta-mtime), as the permission
 * bits and seconds to set; without them the file keeps the umask's mode and the time of the restore.
 */
function fileMeta(meta: Record<string, string>): { mode?: number; mtime?: number } {
  return { mode: permissionBits(meta.mode), mtime: mtimeSeconds(meta.mtime) };
}

/**
 * Gives the checked temporary file its recorded mode and mtime, through the descriptor as in
 * placeChecked, closes it and renames it into place. No fsync (it cost 3-4x the restore time of
 * small files): a power cut can only leave a file whose CRC-64 differs, which the next run finds and names.
 */
async function putInPlace(fh: FileHandle, meta: Record<string, string>, at: CallPaths): Promise<void> {
  const { mode, mtime } = fileMeta(meta);
  if (mode !== undefined) fchmodSync(fh.fd, mode);
  if (mtime !== undefined) futimesSync(fh.fd, new Date(), mtime);
  await fh.close();
  await rename(at.temp, at.target);
}

/**
 * x-oss-meta-mode (octal) as the permission bits to set. Only rwx for owner, group and others
 * (0o777): setuid, setgid and sticky are never restored, since metadata anyone with write access
 * to the bucket can set must not turn a restored file into a program that runs as its owner
 * (or as root, when root restores).
 */
function permissionBits(mode: string | undefined): number | undefined {
  if (mode === undefined || !/^[0-7]{1,6}$/.test(mode)) return undefined;
  return parseInt(mode, 8) & 0o777;
}

function mtimeSeconds(mtimeNs: string | undefined): number | undefined {
  if (mtimeNs === undefined || !/^-?\d{1,20}$/.test(mtimeNs)) return undefined;
  return Number(BigInt(mtimeNs)) / 1e9;
}

/** The CRC-64 of the file's bytes start..end (inclusive; the whole file by default). */
export async function fileCrc64(path: string, start = 0, end = Infinity): Promise<string> {
  const crc = new Crc64();
  for await (const chunk of createReadStream(path, { start, end, highWaterMark: 1 << 20 })) crc.update(chunk as Buffer);
  return crc.digest();
}

/** Errors as the summary names them: archive state and changed objects in plain words. */
function describe(job: DownloadJob, err: unknown): unknown {
  if (err instanceof StorageError) {
    // A GET's error body is read (its OSS code known); a 403 without one (a proxy dropped the body)
    // of an archived object is taken for that. An AccessDenied is not: a restore on OSS cures nothing.
    const unnamed = err.code === undefined || err.code === 'UnknownError';
    const archived = err.code === 'InvalidObjectState' || (err.status === 403 && unnamed && isArchived(job));
    // An Archive/ColdArchive object OSS will not serve until it is restored there (RestoreObject).
    if (archived) {
      return new Error(
        `oss://${job.bucket}/${job.key} is in an archive storage class and must be restored on OSS first ` +
          `(--request-restore asks for it, --wait also waits; or the console, ossutil restore); run this again once it is readable`,
      );
    }
    if (err.code === 'PreconditionFailed') {
      return new Error(`oss://${job.bucket}/${job.key} changed on OSS during the restore; run the restore again`, { cause: err });
    }
  }
  return err;
}
