import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import * as entry from '../src/index.js';
import { frameworks } from './support/matrix.js';

const require = createRequire(import.meta.url);

describe('the package', () => {
  it('exports exactly these names', () => {
    expect(Object.keys(entry).sort()).toMatchInlineSnapshot(`
      [
        "SpartanError",
        "fetchSecret",
        "isSpartanError",
        "spartan",
      ]
    `);
  });

  it('builds ESM and CJS entries with the same names', async () => {
    const esm: Record<string, unknown> = await import('@spartan-sessions/adapter-express');
    const cjs: Record<string, unknown> = require('@spartan-sessions/adapter-express');
    expect(Object.keys(esm).sort()).toEqual(Object.keys(entry).sort());
    expect(Object.keys(cjs).sort()).toEqual(Object.keys(entry).sort());
    // One SpartanError class across entries, so `instanceof` works whichever format loaded it.
    expect(cjs.SpartanError).toBe(require('@spartan-sessions/core').SpartanError);
  });

  it('runs its matrix against Express 5 and Express 4', () => {
    const versions = frameworks.map(({ name }) => name);
    expect(versions).toEqual(['Express 5', 'Express 4']);
    expect(require('express/package.json').version).toMatch(/^5\./);
    expect(require('express4/package.json').version).toMatch(/^4\./);
  });
});
