import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'store-redis',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    environment: 'node',
    // Real Redis servers: the suites share ports, so files run one after another.
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
