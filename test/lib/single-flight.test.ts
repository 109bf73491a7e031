import { describe, expect, it } from 'vitest';
import { SingleFlight } from '../../src/lib/single-flight.js';

/** A job whose runs each wait until the test lets them finish. */
function gatedJob(): { job: () => Promise<void>; runs: () => number; finish: () => void } {
  let runs = 0;
  let release: (() => void) | undefined;
  return {
    job: () => {
      runs++;
      return new Promise<void>((resolve) => (release = resolve));
    },
    runs: () => runs,
    finish: () => release?.(),
  };
}

describe('SingleFlight', () => {
  it('starts at once, and runs exactly once more for any number of requests made meanwhile', async () => {
    const g = gatedJob();
    const flight = new SingleFlight(g.job);
    const first = flight.request();
    await Promise.resolve(); // starts a microtask later
    expect(g.runs()).toBe(1);
    const second = flight.request();
    void flight.request();
    expect(second).toBe(first); // one run covers them
    g.finish();
    await Promise.resolve();
    await new Promise((r) => setImmediate(r));
    expect(g.runs()).toBe(2); // the rerun
    g.finish();
    await first;
    expect(g.runs()).toBe(2);
    // Idle again: the next request starts a fresh run.
    const third = flight.request();
    await Promise.resolve();
    expect(g.runs()).toBe(3);
    g.finish();
    await third;
  });

  it('a request made from within the job asks for a rerun, never a second run at the same time', async () => {
    let running = 0;
    let overlapped = false;
    let runs = 0;
    const flight: SingleFlight = new SingleFlight(async () => {
      runs++;
      overlapped ||= running > 0;
      running++;
      if (runs === 1) void flight.request(); // in the job's synchronous part
      await new Promise((r) => setImmediate(r));
      running--;
    });
    await flight.request();
    expect([runs, overlapped]).toEqual([2, false]);
  });

  it('a job error rejects the request and leaves it ready for the next one', async () => {
    let fail = true;
    const flight = new SingleFlight(async () => {
      if (fail) throw new Error('boom');
    });
    await expect(flight.request()).rejects.toThrow('boom');
    fail = false;
    await expect(flight.request()).resolves.toBeUndefined();
  });

  it('close() waits for the run under way, drops its rerun and ignores later requests', async () => {
    const g = gatedJob();
    const flight = new SingleFlight(g.job);
    void flight.request();
    await Promise.resolve();
    void flight.request(); // asks for a rerun...
    const closed = flight.close();
    g.finish();
    await closed;
    expect(g.runs()).toBe(1); // ...which close() cancelled
    await flight.request();
    expect(g.runs()).toBe(1);
  });
});
