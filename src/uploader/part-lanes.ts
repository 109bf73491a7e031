import { PassThrough, type Readable } from 'node:stream';
import { Md5x4 } from '../lib/md5x4-wasm.js';
import type { RangeDigest } from './hashed-file-range.js';
import { InMemoryBody } from './in-memory-body.js';
import type { MemoryBudget } from './memory-budget.js';
import type { Body } from './object-storage.js';

/** A request body whose checksums may be known only after it was sent. */
export interface PartBody extends Body {
  digest(): RangeDigest | Promise<RangeDigest>;
}

/**
 * One of a multipart upload's parallel part senders: the buffer it reads each part into, reused part
 * after part (memory is lanes x part size), and the body it sends that part as.
 */
export interface PartLane {
  readonly buffer: Buffer;
  /**
   * The body of the part just read into buffer[0, size). The caller leaves the buffer alone until the
   * body's digest has resolved and its last send has ended.
   */
  body(size: number): PartBody;
  /** This lane sends no more parts. */
  retire(): void;
}

const KERNEL_LANES = 4;
/**
 * The SIMD kernel costs the same per call whatever the number of lanes in use: measured on this
 * machine's cores, 4 lanes hash ~1.65x OpenSSL's MD5 throughput, 3 ~1.2x, 2 less than OpenSSL.
 */
const MIN_LOCKSTEP_LANES = 3;

/**
 * `count` lanes with buffers of laneBytes. Groups of 3 or 4 lanes share a 4-lane SIMD MD5 kernel
 * (when WebAssembly SIMD is available), hashing their parts in lockstep; other lanes hash each part
 * with node:crypto as soon as it is read and send it with Content-MD5.
 */
export function partLanes(count: number, laneBytes: number): PartLane[] {
  const lanes: PartLane[] = [];
  for (let first = 0; first < count; first += KERNEL_LANES) {
    const groupSize = Math.min(KERNEL_LANES, count - first);
    const kernel = groupSize >= MIN_LOCKSTEP_LANES ? kernels.acquire(laneBytes) : undefined;
    const hasher = kernel && new LockstepHasher(kernel, groupSize);
    for (let i = 0; i < groupSize; i++) lanes.push(hasher ? hasher.lane(i) : eagerLane(Buffer.allocUnsafeSlow(laneBytes)));
  }
  return lanes;
}

/** The bytes partLanes(count, laneBytes) allocates: a group of 3 or 4 lanes shares a kernel of 4 buffers. */
export function partLanesBytes(count: number, laneBytes: number): number {
  let buffers = 0;
  for (let first = 0; first < count; first += KERNEL_LANES) {
    const groupSize = Math.min(KERNEL_LANES, count - first);
    buffers += groupSize >= MIN_LOCKSTEP_LANES ? KERNEL_LANES : groupSize;
  }
  return buffers * laneBytes;
}

/** Lanes whose buffers a MemoryBudget paid for; release() gives the bytes back once every lane retired. */
export interface BudgetedLanes {
  lanes: PartLane[];
  release(): void;
}

/**
 * Up to `want` lanes of laneBytes, paid from the budget before they are allocated: it waits for the
 * first lane's bytes (holding nothing meanwhile, see MemoryBudget), then takes more lanes only while
 * their bytes are free at once and within the upload's share. No lanes when one part can never fit
 * (the caller streams its parts instead). Without a budget: `want` lanes, as before.
 */
export async function budgetedPartLanes(
  want: number,
  laneBytes: number,
  budget: MemoryBudget | undefined,
  signal?: AbortSignal,
): Promise<BudgetedLanes> {
  if (!budget || want <= 0) return { lanes: partLanes(Math.max(0, want), laneBytes), release: () => undefined };
  if (!(await budget.acquire(partLanesBytes(1, laneBytes), signal))) return { lanes: [], release: () => undefined };
  let count = 1;
  const share = Math.max(budget.shareBytes, partLanesBytes(1, laneBytes));
  while (
    count < want &&
    partLanesBytes(count + 1, laneBytes) <= share &&
    budget.tryAcquire(partLanesBytes(count + 1, laneBytes) - partLanesBytes(count, laneBytes))
  )
    count++;
  const bytes = partLanesBytes(count, laneBytes);
  let lanes: PartLane[];
  try {
    lanes = partLanes(count, laneBytes);
  } catch (err) {
    budget.release(bytes);
    throw err;
  }
  let released = false;
  return {
    lanes,
    release: () => {
      if (released) return;
      released = true;
      budget.release(bytes);
    },
  };
}

/**
 * Kernels of finished uploads, kept a little while for the next upload: each holds 4 x part size of
 * memory, which a dropped kernel gives back only when the GC gets to it (200 uploads in a row with
 * new kernels peaked at 275 MB RSS). Idle ones are dropped after IDLE_MS, so an idle daemon holds none.
 */
class KernelPool {
  private static readonly MAX_IDLE = 4;
  private static readonly IDLE_MS = 10_000;
  private readonly idle: Array<{ kernel: Md5x4; timer: NodeJS.Timeout }> = [];

  acquire(laneBytes: number): Md5x4 | undefined {
    const i = this.idle.findIndex((e) => e.kernel.laneBytes === laneBytes);
    if (i < 0) return Md5x4.create(laneBytes);
    const [entry] = this.idle.splice(i, 1);
    clearTimeout(entry!.timer);
    return entry!.kernel;
  }

  release(kernel: Md5x4): void {
    if (this.idle.length >= KernelPool.MAX_IDLE) return;
    const entry = { kernel, timer: setTimeout(() => this.idle.splice(this.idle.indexOf(entry), 1), KernelPool.IDLE_MS).unref() };
    this.idle.push(entry);
  }
}

const kernels = new KernelPool();

function eagerLane(buffer: Buffer): PartLane {
  return { buffer, body: (size) => new InMemoryBody(buffer.subarray(0, size)), retire: () => undefined };
}

interface Waiter {
  size: number;
  resolve(digest: RangeDigest): void;
  reject(err: unknown): void;
}

/**
 * Hashes the parts of up to four lanes together, MD5 and CRC-64 in one pass (Md5x4.digestWithCrc64:
 * the CRC runs in the MD5 kernel's idle issue slots, nearly free). A lane sends its part as soon as it is read, without
 * Content-MD5, and asks for the digest only when the server has answered (the ETag and CRC-64 are
 * checked then, so a part damaged on the way is still never recorded). Meanwhile the parts waiting
 * for a digest are hashed in one kernel call once every live lane has one waiting; a digest asked for
 * sooner is computed at once, by the kernel if at least three parts wait, else alone with node:crypto.
 * Parts take longer to send than to hash, so nearly every call has four lanes.
 */
class LockstepHasher {
  private readonly waiting = new Map<number, Waiter>();
  private liveLanes: number;
  private batchQueued = false;

  constructor(
    private readonly kernel: Md5x4,
    laneCount: number,
  ) {
    this.liveLanes = laneCount;
  }

  lane(index: number): PartLane {
    const buffer = this.kernel.lane(index);
    return {
      buffer,
      body: (size) => {
        const digest = this.enqueue(index, size);
        return new DeferredDigestBody(buffer.subarray(0, size), () => {
          this.hashNow(index);
          return digest;
        });
      },
      retire: () => {
        // A lane that failed may leave a part waiting that nobody will ask for.
        this.waiting.delete(index);
        this.liveLanes--;
        // The last lane out: no part of this upload is hashed any more. (A request the server answered
        // early, with an error, may still be writing its body from lane memory; whatever the next
        // upload puts there only reaches that already-answered request, never a recorded part.)
        if (this.liveLanes === 0) kernels.release(this.kernel);
        else this.maybeQueueBatch();
      },
    };
  }

  private enqueue(lane: number, size: number): Promise<RangeDigest> {
    const digest = new Promise<RangeDigest>((resolve, reject) => this.waiting.set(lane, { size, resolve, reject }));
    this.maybeQueueBatch();
    return digest;
  }

  /** Once every live lane has a part waiting, hash them together on the next turn, after the sends started. */
  private maybeQueueBatch(): void {
    const full = this.waiting.size >= Math.min(this.liveLanes, KERNEL_LANES) && this.waiting.size >= MIN_LOCKSTEP_LANES;
    if (!full || this.batchQueued) return;
    this.batchQueued = true;
    setImmediate(() => {
      this.batchQueued = false;
      if (this.waiting.size >= MIN_LOCKSTEP_LANES) this.hashWaiting();
    });
  }

  private hashNow(lane: number): void {
    if (!this.waiting.has(lane)) return; // already hashed
    if (this.waiting.size >= MIN_LOCKSTEP_LANES) this.hashWaiting();
    else this.hashAlone(lane);
  }

  private hashWaiting(): void {
    const waiters = [...this.waiting];
    this.waiting.clear();
    const lengths: (number | undefined)[] = [];
    for (const [lane, w] of waiters) lengths[lane] = w.size;
    let digests: ({ md5: Buffer; crc64: string } | undefined)[];
    try {
      digests = this.kernel.digestWithCrc64(lengths);
    } catch (err) {
      for (const [, w] of waiters) w.reject(err);
      return;
    }
    for (const [lane, w] of waiters) {
      const { md5, crc64 } = digests[lane]!;
      w.resolve({ md5: md5.toString('hex').toUpperCase(), crc64 });
    }
  }

  private hashAlone(lane: number): void {
    const w = this.waiting.get(lane)!;
    this.waiting.delete(lane);
    const bytes = this.kernel.lane(lane).subarray(0, w.size);
    w.resolve(new InMemoryBody(bytes).digest()); // node:crypto MD5 and CRC-64, as for an eager lane
  }
}

/** A part in memory, sent without Content-MD5: its checksums are computed while (or after) it is sent. */
class DeferredDigestBody implements PartBody {
  readonly size: number;

  constructor(
    private readonly bytes: Buffer,
    private readonly digestWhenAsked: () => Promise<RangeDigest>,
  ) {
    this.size = bytes.length;
  }

  open(): Readable {
    return new PassThrough().end(this.bytes);
  }

  digest(): Promise<RangeDigest> {
    return this.digestWhenAsked();
  }
}
