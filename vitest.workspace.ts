// The one list of test projects. vitest.config.ts reads it as `test.projects` (Vitest 4 no
// longer reads this file by itself).
export default [
  'packages/*/vitest.config.ts',
  'examples/*/vitest.config.ts',
  // The packed packages: attw, publint, a scratch app installed from the tarballs.
  'scripts/package-checks/vitest.config.ts',
];
