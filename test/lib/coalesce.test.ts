import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { coalesce } from '../../src/lib/coalesce.js';

describe('coalesce', () => {
  it('runs once on the next turn however often it was asked in one tick', async () => {
    let runs = 0;
    const schedule = coalesce(() => runs++);
    schedule();
    schedule();
    schedule();
    expect(runs).toBe(0);
    await nextTurn();
    expect(runs).toBe(1);
    await nextTurn();
    expect(runs).toBe(1);
  });

  it('a request made while it runs schedules one more run on a later turn', async () => {
    let runs = 0;
    const schedule = coalesce(() => {
      runs++;
      if (runs === 1) schedule();
    });
    schedule();
    await nextTurn();
    expect(runs).toBe(1);
    await nextTurn();
    expect(runs).toBe(2);
  });
});
