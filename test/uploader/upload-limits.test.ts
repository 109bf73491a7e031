import { describe, expect, it } from 'vitest';
import { BandwidthLimiter, UploadGate, withLimits } from '../../src/uploader/index.js';
import type { LimiterClock } from '../../src/uploader/index.js';
import { waitFor } from '../helpers/wait.js';
import { KiB, useUploaderHarness } from './harness.js';
import { MemoryJournal } from './memory-journal.js';

/**
 * A clock that never waits: sleeping advances it. The bytes still go through the real ali-oss client
 * to the emulator; the virtual time they were granted in says at what rate the limiter let them out.
 */
class VirtualClock implements LimiterClock {
  time = 0;
  now(): number {
    return this.time;
  }
  sleep(ms: number): Promise<void> {
    this.time += ms;
    return Promise.resolve();
  }
}

describe('upload windows and the bandwidth limit (real ali-oss client against the emulator)', () => {
  const h = useUploaderHarness();

  function limited(limiter: BandwidthLimiter, gate = new UploadGate(), onCutOff?: (operation: string) => void) {
    return withLimits(h.storage(), { gate, limiter, bodySlots: 2, onCutOff });
  }

  it('sends every body byte of parts and of small in-memory puts through the limiter, at its rate', async () => {
    const clock = new VirtualClock();
    const rate = 200 * KiB;
    const limiter = new BandwidthLimiter(rate, clock);
    const storage = limited(limiter);
    const big = h.randomFile('limited-big.bin', 500 * KiB); // 5 parts
    const small = h.randomFile('limited-small.bin', 60 * KiB); // one PutObject from memory
    await h
      .uploader({}, storage)
      .upload({ localPath: big.path, bucket: h.oss.bucket, key: 'limited-big.bin', journal: new MemoryJournal() });
    await h
      .uploader({ multipartThreshold: MiBytes(4) }, storage)
      .upload({ localPath: small.path, bucket: h.oss.bucket, key: 'limited-small.bin', journal: new MemoryJournal() });
    expect(await h.getObject('limited-big.bin')).toEqual(big.content);
    expect(await h.getObject('limited-small.bin')).toEqual(small.content);
    expect(h.requests('limited-small.bin', 'PutObject')).toHaveLength(1);
    // 560 KiB at 200 KiB/s: 2.8 s of (virtual) time, less at most one piece (25 ms of the rate).
    expect(clock.time).toBeGreaterThanOrEqual(((560 * KiB) / rate) * 1000 - 60);
    expect(clock.time).toBeLessThanOrEqual(((560 * KiB) / rate) * 1000);
  });

  it('with oss_traffic_limit, asks OSS to cap each body request (x-oss-traffic-limit), which the emulator honours', async () => {
    // The limiter's own waits on a virtual clock (instant): what slows the request is the server.
    const limiter = new BandwidthLimiter(100 * KiB, new VirtualClock());
    const storage = withLimits(h.storage(), { gate: new UploadGate(), limiter, bodySlots: 1, ossTrafficLimit: true });
    const { path, content } = h.randomFile('capped.bin', 300 * KiB);
    await h
      .uploader({ multipartThreshold: MiBytes(4) }, storage)
      .upload({ localPath: path, bucket: h.oss.bucket, key: 'capped.bin', journal: new MemoryJournal() });
    expect(await h.getObject('capped.bin')).toEqual(content);
    const [put] = h.requests('capped.bin', 'PutObject');
    // 819200 bit/s = 100 KiB/s: 300 KiB take the emulator at least 3 s to accept.
    expect(put!.durationMs).toBeGreaterThanOrEqual(2900);
    await expect(h.oss.client().put('refused.bin', Buffer.from('x'), { headers: { 'x-oss-traffic-limit': '100' } })).rejects.toMatchObject({
      code: 'InvalidArgument',
    });
  });

  it('soft cutoff: a closed window starts no new part; the upload goes on where it stopped once open', async () => {
    const gate = new UploadGate();
    const storage = limited(new BandwidthLimiter(null), gate);
    const { path, content } = h.randomFile('window.bin', 400 * KiB); // 4 parts
    const journal = new MemoryJournal();
    journal.onPart = (n) => {
      if (n === 1) gate.close(false);
    };
    const upload = h
      .uploader({ partConcurrency: 1 }, storage)
      .upload({ localPath: path, bucket: h.oss.bucket, key: 'window.bin', journal });
    await waitFor(() => gate.waiting === 1, { what: 'the next part to wait for the window' });
    expect(h.partRequests('window.bin')).toEqual([1]);
    const openedAt = Date.now();
    gate.open();
    await upload;
    expect(await h.getObject('window.bin')).toEqual(content);
    const later = h.requests('window.bin', 'UploadPart').filter((e) => e.partNumber !== 1);
    expect(later.map((e) => e.partNumber)).toEqual([2, 3, 4]);
    expect(later.every((e) => e.time >= openedAt - 5)).toBe(true);
  });

  it('soft cutoff: a part in flight when the window closes finishes', async () => {
    const gate = new UploadGate();
    const limiter = new CountingLimiter(64 * KiB); // real time: a 100 KiB part takes about 1.5 s
    const storage = limited(limiter, gate);
    const { path, content } = h.randomFile('soft-in-flight.bin', 200 * KiB);
    const journal = new MemoryJournal();
    const upload = h
      .uploader({ partConcurrency: 1 }, storage)
      .upload({ localPath: path, bucket: h.oss.bucket, key: 'soft-in-flight.bin', journal });
    await waitFor(() => limiter.granted > 10 * KiB, { intervalMs: 5, what: 'part 1 to be on its way' });
    gate.close(false);
    await waitFor(() => journal.upload?.parts.length === 1 && gate.waiting === 1, { what: 'part 1 to finish and part 2 to wait' });
    expect(h.requests('soft-in-flight.bin', 'UploadPart').map((e) => [e.partNumber, e.status])).toEqual([[1, 200]]);
    gate.open();
    await upload;
    expect(await h.getObject('soft-in-flight.bin')).toEqual(content);
  });

  it('hard cutoff: a part in flight is cut off, sent again once the window opens; acknowledged parts are kept', async () => {
    const gate = new UploadGate();
    const cutOff: string[] = [];
    const limiter = new CountingLimiter(64 * KiB);
    const storage = limited(limiter, gate, (operation) => cutOff.push(operation));
    const { path, content } = h.randomFile('hard.bin', 300 * KiB); // 3 parts
    const journal = new MemoryJournal();
    // Cut off part 2 once some of its body went through (part 1 is 100 KiB).
    void waitFor(() => limiter.granted > 110 * KiB, { intervalMs: 5 }).then(() => gate.close(true));
    const upload = h.uploader({ partConcurrency: 1 }, storage).upload({ localPath: path, bucket: h.oss.bucket, key: 'hard.bin', journal });
    await waitFor(() => cutOff.length === 1 && gate.waiting === 1, { what: 'part 2 to be cut off and wait for the window' });
    expect(cutOff).toEqual(['UploadPart']);
    expect(journal.upload?.parts.map((p) => p.partNumber)).toEqual([1]);
    gate.open();
    await upload;
    expect(await h.getObject('hard.bin')).toEqual(content);
    const parts = h.requests('hard.bin', 'UploadPart');
    expect(parts.filter((e) => e.partNumber === 1)).toHaveLength(1); // never sent again
    expect(parts.filter((e) => e.partNumber === 2 && e.status === 200)).toHaveLength(1);
  });
});

/** Counts the body bytes it let through: a test tells a request in flight by them. */
class CountingLimiter extends BandwidthLimiter {
  granted = 0;
  override take(bytes: number, signal?: AbortSignal): Promise<void> {
    this.granted += bytes;
    return super.take(bytes, signal);
  }
}

function MiBytes(n: number): number {
  return n * 1024 * KiB;
}
