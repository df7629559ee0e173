// ioredis is an optional peer: only a store made from `url` loads it. Here it is installed, so
// its absence is simulated at the one place the store loads it (internal/optional.ts); the
// packed-install test (scripts/package-checks) runs an app that really has no ioredis.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadIoredis } from '../src/internal/optional.js';

describe('loadIoredis', () => {
  it('loads the installed ioredis', () => {
    const ioredis = loadIoredis();
    expect(typeof ioredis?.Redis).toBe('function');
    expect(typeof ioredis?.Cluster).toBe('function');
  });

  it('answers undefined when ioredis itself is not installed', () => {
    const missing = (name: string) => {
      throw Object.assign(new Error(`Cannot find module '${name}'\nRequire stack:\n- /app/x.js`), {
        code: 'MODULE_NOT_FOUND',
      });
    };
    expect(loadIoredis(missing)).toBeUndefined();
  });

  it('throws any other failure: a dependency of ioredis missing, an error while loading it', () => {
    const brokenInstall = () => {
      throw Object.assign(new Error("Cannot find module 'denque'\nRequire stack:\n- /app/node_modules/ioredis/x.js"), {
        code: 'MODULE_NOT_FOUND',
      });
    };
    expect(() => loadIoredis(brokenInstall)).toThrow(/denque/);
    const failing = () => {
      throw new SyntaxError('Unexpected token');
    };
    expect(() => loadIoredis(failing)).toThrow(SyntaxError);
  });
});

describe('RedisStore from `url` without ioredis', () => {
  afterEach(() => {
    vi.doUnmock('../src/internal/optional.js');
    vi.resetModules();
  });

  it('throws sessions/option-type-incorrect naming `url` and how to fix it; a given client needs no ioredis', async () => {
    vi.resetModules();
    vi.doMock('../src/internal/optional.js', () => ({ loadIoredis: () => undefined }));
    const { RedisStore } = await import('../src/redis-store.js');
    // The modules were reset: core's SpartanError is the one this RedisStore was loaded with.
    const { isSpartanError } = await import('@spartan-sessions/core');
    let error: unknown;
    try {
      new RedisStore({ url: 'redis://127.0.0.1:6379' });
    } catch (caught) {
      error = caught;
    }
    expect(isSpartanError(error, 'sessions/option-type-incorrect')).toBe(true);
    expect(error).toMatchObject({ details: { option: 'url' } });
    expect((error as Error).message).toContain('npm install ioredis');
    // A node-redis-shaped client is taken without loading ioredis.
    const client = { sendCommand: async () => null, multi: () => ({}) };
    expect(() => new RedisStore({ client })).not.toThrow();
  });
});
