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
    // Three files at a time on two cores: most test time is waiting (for child processes, the emulator,
    // settle windows, back-offs and polls), not computing. With two, the cores sat about half idle: a
    // full run takes ~240 s of CPU (user + sys), and took ~243 s of wall time (486 core-seconds) quiet.
    maxWorkers: 3,
  },
});
