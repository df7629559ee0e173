import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import * as entry from '../src/index.js';

const require = createRequire(import.meta.url);

describe('the package', () => {
  it('exports exactly these names', () => {
    expect(Object.keys(entry).sort()).toEqual(['SpartanError', 'fetchSecret', 'isSpartanError', 'spartan']);
  });

  it('builds ESM and CJS entries with the same names', async () => {
    const esm: Record<string, unknown> = await import('@spartan-sessions/adapter-fastify');
    const cjs: Record<string, unknown> = require('@spartan-sessions/adapter-fastify');
    expect(Object.keys(esm).sort()).toEqual(Object.keys(entry).sort());
    expect(Object.keys(cjs).sort()).toEqual(Object.keys(entry).sort());
    // One SpartanError class across entries, so `instanceof` works whichever format loaded it.
    expect(cjs.SpartanError).toBe(require('@spartan-sessions/core').SpartanError);
  });

  it('runs against Fastify 5', () => {
    expect(require('fastify/package.json').version).toMatch(/^5\./);
  });
});
