import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/helpers/buffer-equality.ts'],
    // Tests start real servers, child processes and watchers: give them room on a shared 2-core box,
    // but they always wait for conditions, never for fixed sleeps.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
