import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Native inference already uses both cores; two workers keep the suite from oversubscribing them.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
