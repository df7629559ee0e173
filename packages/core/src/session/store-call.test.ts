import { afterEach, describe, expect, it, vi } from 'vitest';
import { isSpartanError, SpartanError } from '../errors/errors.js';
import type { SessionStore } from '../ports.js';
import { MemoryStore } from '../store/memory-store.js';
import { createStoreCaller } from './store-call.js';

/** One call through a fresh caller (what the manager builds once per instance). */
const callStore = <T>(operation: string, timeoutMs: number, call: () => Promise<T>): Promise<T> =>
  createStoreCaller(timeoutMs)(operation, call);

afterEach(() => {
  vi.useRealTimers();
});

describe('createStoreCaller', () => {
  it('passes a result through', async () => {
    await expect(callStore('get', 100, async () => 42)).resolves.toBe(42);
  });

  it('turns a store error into store-unavailable (503) keeping the cause', async () => {
    const cause = new Error('ECONNREFUSED');
    const error = await callStore('get', 100, () => Promise.reject(cause)).catch((e: unknown) => e);
    expect(isSpartanError(error, 'sessions/store-unavailable')).toBe(true);
    expect((error as SpartanError).status).toBe(503);
    expect((error as SpartanError).cause).toBe(cause);
    expect((error as SpartanError).details).toMatchObject({ operation: 'get', reason: 'store-error' });
  });

  it('turns a synchronous throw into store-unavailable', async () => {
    const error = await callStore('set', 100, () => {
      throw new TypeError('bad');
    }).catch((e: unknown) => e);
    expect(isSpartanError(error, 'sessions/store-unavailable')).toBe(true);
  });

  it('keeps a store-unavailable error from the store as it is', async () => {
    const original = new SpartanError('sessions/store-unavailable', 'x', { reason: 'invalid-argument' });
    await expect(callStore('set', 100, () => Promise.reject(original))).rejects.toBe(original);
  });

  it('fails closed after the timeout instead of hanging', async () => {
    vi.useFakeTimers();
    const pending = callStore('get', 250, () => new Promise<never>(() => undefined));
    const assertion = expect(pending).rejects.toMatchObject({
      code: 'sessions/store-unavailable',
      details: { reason: 'timeout', timeoutMs: 250 },
    });
    await vi.advanceTimersByTimeAsync(250);
    await assertion;
  });

  it('ignores a late answer after the timeout', async () => {
    vi.useFakeTimers();
    let resolveLate: (value: number) => void = () => undefined;
    const pending = callStore('get', 10, () => new Promise<number>((resolve) => (resolveLate = resolve)));
    const assertion = expect(pending).rejects.toMatchObject({ code: 'sessions/store-unavailable' });
    await vi.advanceTimersByTimeAsync(10);
    resolveLate(1);
    await assertion;
  });

  it('ignores a late failure after the timeout', async () => {
    vi.useFakeTimers();
    let rejectLate: (error: Error) => void = () => undefined;
    const pending = callStore('get', 10, () => new Promise<number>((_, reject) => (rejectLate = reject)));
    const assertion = expect(pending).rejects.toMatchObject({ details: { reason: 'timeout' } });
    await vi.advanceTimersByTimeAsync(10);
    rejectLate(new Error('late'));
    await assertion;
  });

  it('one caller watches many calls with one timer: each fails at its own deadline, settled ones never', async () => {
    vi.useFakeTimers();
    const call = createStoreCaller(100);
    const hang = () => new Promise<never>(() => undefined);
    const first = call('get', hang);
    const firstFailed = expect(first).rejects.toMatchObject({ details: { operation: 'get', reason: 'timeout' } });
    await vi.advanceTimersByTimeAsync(40);
    const quick = call('set', async () => 'ok');
    const second = call('destroy', hang);
    let secondSettled = false;
    second.catch(() => {
      secondSettled = true;
    });
    await expect(quick).resolves.toBe('ok');
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(60);
    await firstFailed;
    expect(secondSettled).toBe(false);
    await vi.advanceTimersByTimeAsync(39);
    expect(secondSettled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await expect(second).rejects.toMatchObject({ details: { operation: 'destroy', reason: 'timeout' } });
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('createStoreCaller with a store that bounds its calls itself (callTimeout)', () => {
  const selfTimed = (callTimeout: number): SessionStore => Object.assign(new MemoryStore(), { callTimeout });

  it('adds no timer: a call slower than storeTimeout is not failed by core', async () => {
    vi.useFakeTimers();
    const call = createStoreCaller(100, selfTimed(5000));
    let answer!: (value: string) => void;
    const pending = call('get', () => new Promise<string>((resolve) => (answer = resolve)));
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(1000);
    answer('late but within the store bound');
    await expect(pending).resolves.toBe('late but within the store bound');
  });

  it('still maps a failure, or a synchronous throw, to store-unavailable', async () => {
    const call = createStoreCaller(100, selfTimed(5000));
    const cause = new Error('ECONNRESET');
    const rejected = await call('set', () => Promise.reject(cause)).catch((e: unknown) => e);
    expect(isSpartanError(rejected, 'sessions/store-unavailable')).toBe(true);
    expect((rejected as SpartanError).cause).toBe(cause);
    const thrown = await call('set', () => {
      throw new TypeError('bad');
    }).catch((e: unknown) => e);
    expect(isSpartanError(thrown, 'sessions/store-unavailable')).toBe(true);
  });

  it('a callTimeout that is not a positive finite number leaves core timing the calls', async () => {
    vi.useFakeTimers();
    for (const bound of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      const pending = createStoreCaller(100, selfTimed(bound))('get', () => new Promise<never>(() => {}));
      const settled = pending.catch((e: unknown) => e);
      await vi.advanceTimersByTimeAsync(100);
      expect(isSpartanError(await settled, 'sessions/store-unavailable')).toBe(true);
    }
  });
});
