import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    adapter: 'src/adapter/index.ts',
    node: 'src/node/index.ts',
    store: 'src/store/kit.ts',
    testing: 'src/testing/index.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  // One shared chunk for both formats, so `SpartanError` is one class across the main, node, store and
  // testing entries (instanceof holds for CommonJS users too).
  splitting: true,
  // (The testing entry is exported for `import` only: vitest cannot be require()d.)
  sourcemap: true,
  target: 'es2022',
  external: ['vitest'],
});
