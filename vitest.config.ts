import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'functions/**/*.test.ts', 'relay/**/*.test.ts', 'db/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores: end-to-end files start real servers, so keep parallelism modest.
    maxWorkers: 2,
    pool: 'forks',
  },
});
