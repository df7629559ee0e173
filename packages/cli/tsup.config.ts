import { defineConfig } from 'tsup';

export default defineConfig({
  // `bin` is the `spartan-sessions` executable (tsup keeps its hashbang and makes it executable);
  // `index` is the programmatic entry (`runCli`, `diagnosePolicy`, `createSecret`).
  entry: { bin: 'src/bin.ts', index: 'src/index.ts' },
  // ESM only: a command-line tool, and its programmatic entry is require()-able as ESM from
  // Node 20.19 on (the workspace's floor).
  format: ['esm'],
  dts: { entry: { index: 'src/index.ts' } },
  clean: true,
  sourcemap: true,
  target: 'es2022',
});
