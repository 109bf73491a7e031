import { describe, expect, it } from 'vitest';
import { Pacer } from '../../src/uploader/index.js';
import { waitFor } from '../helpers/wait.js';
import { testRetryPolicy, useUploaderHarness } from './harness.js';

describe('shared pacing (real ali-oss client, emulator answering SlowDown)', () => {
  const h = useUploaderHarness();

  it('16 parallel requests meeting SlowDown slow the whole client down: few requests reach the endpoint while it pushes back', async () => {
    const pacer = new Pacer({ minDelayMs: 100, maxDelayMs: 800 });
    const storage = h.storage({ pacer, policy: testRetryPolicy({ maxTimeMs: 60_000 }) });
    h.oss.emulator.faults.add({
      match: { operation: 'HeadObject' },
      times: Infinity,
      action: { type: 'error', status: 503, code: 'SlowDown' },
    });
    const keys = Array.from({ length: 16 }, (_, i) => `paced/${i}.bin`);
    const heads = keys.map((key) => storage.head({ bucket: h.oss.bucket, key }));
    const slowDowns = (): number => h.oss.emulator.requestLog.entries().filter((e) => e.code === 'SlowDown').length;

    // The slow-down lasts until the client has backed off to its longest spacing (100 -> 800 ms: the
    // burst's raise and three more). Independent per-request back-off would have all 16 retrying all
    // along; shared, the burst raises the delay once and then one request at a time tries the endpoint.
    await waitFor(() => pacer.delayMs === 800, { what: 'the pacer to reach its longest delay' });
    const duringSlowDown = slowDowns();
    h.oss.emulator.faults.clear();

    expect(await Promise.all(heads)).toEqual(Array(16).fill(undefined));
    expect(duringSlowDown).toBeGreaterThanOrEqual(16);
    // The 16 of the burst, then one per further raise (and any already on its way when a raise
    // came): fewer than one retry per request, where independent back-off sends several each.
    expect(duringSlowDown).toBeLessThan(32);
  });
});
