import { describe, expect, it } from 'vitest';
import { SpartanError } from '../errors/errors.js';
import { MemoryStore } from '../store/memory-store.js';
import { EXPRESS_SESSION_OPTIONS } from './express-session-options.js';
import { SpartanCore } from './setup.js';

const SECRET = 'express-session-port-secret-32-characters-long';

function errorOf(options: unknown): SpartanError {
  try {
    new SpartanCore(options as never);
  } catch (error) {
    if (error instanceof SpartanError) return error;
    throw error;
  }
  throw new Error('expected SpartanCore to throw');
}

describe("express-session's options passed to spartan()", () => {
  // What each message must name: the option or setting to use instead.
  const replacements: Record<string, string> = {
    secret: '`secrets`',
    name: '`config.name`',
    cookie: '`config.cookies`',
    rolling: '`config.duration.idle`',
    resave: 'not needed',
    saveUninitialized: 'sessions are lazy',
    genid: 'not supported',
    proxy: '`config.transport.trustProxy`',
    unset: '`req.session.destroy()`',
  };

  it('covers every option of the migration table', () => {
    expect(Object.keys(EXPRESS_SESSION_OPTIONS).sort()).toEqual(Object.keys(replacements).sort());
  });

  it.each(Object.entries(replacements))(
    '`%s` is sessions/option-type-incorrect naming what to use instead (%s)',
    (option, replacement) => {
      const error = errorOf({ secrets: SECRET, [option]: option === 'cookie' ? { maxAge: 60_000 } : true });
      expect(error.code).toBe('sessions/option-type-incorrect');
      expect(error.details).toEqual({ option, expressSession: true });
      expect(error.message).toContain(`\`${option}\` is an express-session option`);
      expect(error.message).toContain(replacement);
      expect(error.message).toContain('migrating-from-express-session.md');
    },
  );

  it('`secret` without `secrets` says to use `secrets` (not missing-secret), and never repeats the value', () => {
    const value = 'keyboard cat keyboard cat keyboard cat';
    const error = errorOf({ secret: value, resave: false, saveUninitialized: false });
    expect(error.code).toBe('sessions/option-type-incorrect');
    expect(error.details).toEqual({ option: 'secret', expressSession: true });
    expect(error.message).toContain('use `secrets`');
    expect(JSON.stringify(error)).not.toContain('keyboard cat');
    expect(error.message).not.toContain('keyboard cat');
  });

  it('an express-session store (connect-redis style) is refused with the store packages to use', () => {
    const connectRedisLike = {
      get: (_sid: string, callback: () => void) => callback(),
      set: (_sid: string, _session: unknown, callback: () => void) => callback(),
      destroy: (_sid: string, callback: () => void) => callback(),
      touch: (_sid: string, _session: unknown, callback: () => void) => callback(),
      createSession: () => ({}),
      load: () => undefined,
      regenerate: () => undefined,
    };
    const error = errorOf({ secrets: SECRET, store: connectRedisLike });
    expect(error.code).toBe('sessions/option-type-incorrect');
    expect(error.details).toEqual({ option: 'store', expressSession: true });
    expect(error.message).toContain('RedisStore');
    expect(error.message).toContain('@spartan-sessions/store-redis');
  });

  it('our own store is not mistaken for one', () => {
    expect(() => new SpartanCore({ secrets: SECRET, store: new MemoryStore() })).not.toThrow();
  });

  it('other unknown options stay plain unknown options', () => {
    const error = errorOf({ secrets: SECRET, sessionSecret: 'x' });
    expect(error.code).toBe('sessions/option-type-incorrect');
    expect(error.details).toEqual({ option: 'sessionSecret' });
    expect(error.message).toBe('`sessionSecret`: unknown option');
  });

  it('an inherited name (toString, constructor) is not taken for an express-session option', () => {
    const error = errorOf({ secrets: SECRET, constructor: 1 });
    expect(error.details).toEqual({ option: 'constructor' });
  });
});
