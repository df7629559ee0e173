import { afterEach, describe, expect, it, vi } from 'vitest';
import { isSpartanError, SpartanError } from '../errors/errors.js';
import { checkDeadline, createStoreErrors, StoreTimeout, sanitizeCause } from './kit.js';

const errors = createStoreErrors({ id: 'demo', label: 'Demo' });

afterEach(() => {
  vi.useRealTimers();
});

describe('sanitizeCause', () => {
  it('keeps name, message and a string or number code, drops everything a driver attached', () => {
    const cause = Object.assign(new Error('write failed'), {
      code: 11000,
      keyValue: { _id: 'session-key-hash' },
      command: { args: ['sess:s:key', '{"data":1}'] },
    });
    cause.name = 'MongoServerError';
    const copy = sanitizeCause(cause) as Error & Record<string, unknown>;
    expect(copy.name).toBe('MongoServerError');
    expect(copy.message).toBe('write failed');
    expect(copy.code).toBe(11000);
    expect(copy.keyValue).toBeUndefined();
    expect(copy.command).toBeUndefined();
    expect(JSON.stringify(Object.entries(copy))).not.toContain('session-key-hash');
  });

  it('turns a non-error into an error without printing an object', () => {
    expect(sanitizeCause('ECONNRESET').message).toBe('ECONNRESET');
    expect(sanitizeCause({ secret: 'x' }).message).toBe('non-error rejection');
  });
});

describe('createStoreErrors', () => {
  it('unavailable: store-unavailable (503) naming store, operation and reason, cause sanitized', () => {
    const error = errors.unavailable('get', 'connection', Object.assign(new Error('down'), { extra: 'value' }));
    expect(isSpartanError(error, 'sessions/store-unavailable')).toBe(true);
    expect(error.status).toBe(503);
    expect(error.message).toBe('Demo store unavailable');
    expect(error.details).toEqual({ store: 'demo', operation: 'get', reason: 'connection' });
    expect((error.cause as Record<string, unknown>).extra).toBeUndefined();
  });

  it('invalidArgument: shaped like core argument checks, without the value', () => {
    const error = errors.invalidArgument('set', 'key', 'key must be at most 512 characters');
    expect(error.details).toEqual({ store: 'demo', operation: 'set', reason: 'invalid-argument', argument: 'key' });
    expect(error.message).toBe('Invalid session store argument: key must be at most 512 characters');
  });

  it('deadlines: a call past its time rejects with reason timeout and marks its deadline expired', async () => {
    vi.useFakeTimers();
    const run = errors.deadlines(50, () => 'connection');
    let seen!: { readonly expired: boolean };
    const pending = run('get', (deadline) => {
      seen = deadline;
      return new Promise<never>(() => {});
    }).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(50);
    const error = (await pending) as SpartanError;
    expect(error.details).toMatchObject({ store: 'demo', operation: 'get', reason: 'timeout' });
    expect(error.message).toBe('Demo store did not answer in time');
    expect(seen.expired).toBe(true);
    expect(() => checkDeadline(seen)).toThrow(StoreTimeout);
  });

  it('deadlines: failures are classified by reasonOf, a SpartanError passes through, checkDeadline is a timeout', async () => {
    const run = errors.deadlines(1000, (error) => ((error as Error).name === 'Refused' ? 'connection' : 'server'));
    const refused = Object.assign(new Error('x'), { name: 'Refused' });
    await expect(run('get', () => Promise.reject(refused))).rejects.toMatchObject({
      details: { reason: 'connection' },
    });
    await expect(run('get', () => Promise.reject(new Error('other')))).rejects.toMatchObject({
      details: { reason: 'server' },
    });
    const own = new SpartanError('sessions/store-unavailable', 'own', { reason: 'contention' });
    await expect(run('get', () => Promise.reject(own))).rejects.toBe(own);
    await expect(
      run('get', async () => {
        checkDeadline({ expired: true });
      }),
    ).rejects.toMatchObject({ details: { reason: 'timeout' } });
  });
});
