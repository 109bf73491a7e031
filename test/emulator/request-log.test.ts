import { expect, it } from 'vitest';
import { RequestLog } from '../../src/emulator/emulator-server.js';
import type { RequestLogEntry } from '../../src/emulator/types.js';

const entry = (n: number): RequestLogEntry => ({
  time: n,
  path: `/bucket/k${n}`,
  method: 'GET',
  query: {},
  bucket: 'bucket',
  key: `k${n}`,
  operation: 'GetObject',
  bytesReceived: 0,
  durationMs: 1,
  status: 200,
});

it('keeps the last entries, oldest first, once more arrive than it holds; clear empties it', () => {
  const log = new RequestLog(3);
  for (let n = 1; n <= 7; n++) log.record(entry(n));
  expect(log.entries().map((e) => e.key)).toEqual(['k5', 'k6', 'k7']);
  log.clear();
  log.record(entry(8));
  expect(log.entries().map((e) => e.key)).toEqual(['k8']);
});
