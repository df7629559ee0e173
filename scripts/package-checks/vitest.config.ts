import { defineProject } from 'vitest/config';

// The packages as users get them: every publishable package is packed, checked with
// arethetypeswrong and publint, and installed from its tarball into a scratch app that runs
// and type-checks (SPEC §2, issue 18). Needs the packages built (`npm test` builds first) and
// the npm registry for the scratch app's third-party dependencies.
export default defineProject({
  test: {
    name: 'packages',
    include: ['*.test.ts'],
    environment: 'node',
    testTimeout: 240_000,
    hookTimeout: 600_000,
  },
});
