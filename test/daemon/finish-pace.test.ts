import { describe, expect, it } from 'vitest';
import { FinishPace } from '../../src/daemon/finish-pace.js';

describe('FinishPace', () => {
  it('counts the finishes of the last one to two buckets and forgets older ones', () => {
    let now = 1_000;
    const pace = new FinishPace(50, () => now);
    for (let i = 0; i < 10; i++) pace.record();
    expect(pace.recent()).toBe(10);
    now += 60; // next bucket: the last one still counts
    pace.record();
    expect(pace.recent()).toBe(11);
    now += 60; // the first bucket has aged out
    expect(pace.recent()).toBe(1);
    now += 500; // a pause longer than two buckets
    expect(pace.recent()).toBe(0);
  });
});
