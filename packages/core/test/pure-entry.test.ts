import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const srcDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'src');
const builtins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));
const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Every module reachable by static imports from `entry`, with the bare specifiers it names. */
function walk(entry: string): { files: Set<string>; specifiers: Set<string> } {
  const files = new Set<string>();
  const specifiers = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(IMPORT)) {
      const specifier = match[1] ?? match[2]!;
      if (specifier.startsWith('.')) queue.push(resolve(dirname(file), specifier.replace(/\.js$/, '.ts')));
      else specifiers.add(specifier);
    }
  }
  return { files, specifiers };
}

describe("core's main entry", () => {
  it('imports no node: module or Node built-in, directly or through its own files', () => {
    const { files, specifiers } = walk(join(srcDir, 'index.ts'));
    expect(files.size).toBeGreaterThan(10);
    expect([...specifiers].filter((specifier) => builtins.has(specifier))).toEqual([]);
    // Its only dependencies are pure: zod and iron-webcrypto (WebCrypto).
    expect([...specifiers].sort()).toEqual(['iron-webcrypto', 'zod']);
  });

  it('the ./adapter entry is as pure: a fetch-API adapter (Deno, Bun, edge runtimes) can use it', () => {
    const { specifiers } = walk(join(srcDir, 'adapter', 'index.ts'));
    expect([...specifiers].filter((specifier) => builtins.has(specifier))).toEqual([]);
    expect([...specifiers].sort()).toEqual(['iron-webcrypto', 'zod']);
  });

  it('the Node-only helpers live in the ./node entry', () => {
    const { specifiers } = walk(join(srcDir, 'node', 'index.ts'));
    expect([...specifiers].some((specifier) => specifier.startsWith('node:'))).toBe(true);
  });

  it('the built bundle of the main entry names no node: module', () => {
    for (const file of ['index.js', 'index.cjs', 'adapter.js', 'adapter.cjs']) {
      const text = readFileSync(join(srcDir, '..', 'dist', file), 'utf8');
      expect(text).not.toMatch(/['"]node:/);
      expect(text).not.toMatch(/require\(['"](crypto|fs|path|os|buffer|util)['"]\)/);
    }
  });
});
