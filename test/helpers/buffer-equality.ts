import { expect } from 'vitest';

// Buffers compare by their bytes in one memcmp: vitest's generic deep equality walks a Buffer index
// by index, which on a file of a few MiB costs tens of seconds of a test's time.
expect.addEqualityTesters([
  function buffersEqual(a: unknown, b: unknown): boolean | undefined {
    return Buffer.isBuffer(a) && Buffer.isBuffer(b) ? a.equals(b) : undefined;
  },
]);
