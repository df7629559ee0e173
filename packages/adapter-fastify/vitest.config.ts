import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'adapter-fastify',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
