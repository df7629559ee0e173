import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'store-mongo',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    environment: 'node',
    // The real-MongoDB suites (MONGO_URL) share one database: files run one after another.
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
