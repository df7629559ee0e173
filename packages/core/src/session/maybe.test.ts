import { describe, expect, it } from 'vitest';
import { drive, isPromiseLike, type Steps, settle } from './maybe.js';

function* add(a: number | Promise<number>, b: number | Promise<number>): Steps<number> {
  const x = yield* settle(a);
  const y = yield* settle(b);
  return x + y;
}

describe('drive', () => {
  it('runs to the end on the caller’s stack when no step is a promise', () => {
    expect(drive(add(1, 2))).toBe(3);
  });

  it('switches to a promise from the first asynchronous step on', async () => {
    const result = drive(add(1, Promise.resolve(2)));
    expect(isPromiseLike(result)).toBe(true);
    await expect(result).resolves.toBe(3);
    await expect(drive(add(Promise.resolve(1), 2))).resolves.toBe(3);
  });

  it('throws a synchronous failure, and rejects once asynchronous', async () => {
    function* failing(): Steps<number> {
      yield* settle(1);
      throw new Error('sync failure');
    }
    expect(() => drive(failing())).toThrowError('sync failure');
    await expect(drive(add(Promise.resolve(1), Promise.reject(new Error('late failure'))))).rejects.toThrowError(
      'late failure',
    );
  });

  it('delivers a rejection into the body, where try/catch handles it', async () => {
    function* recovering(): Steps<string> {
      try {
        yield* settle(Promise.reject(new Error('store down')));
        return 'unreachable';
      } catch (error) {
        const more = yield* settle(Promise.resolve('then recovered'));
        return `${(error as Error).message}, ${more}`;
      }
    }
    await expect(drive(recovering())).resolves.toBe('store down, then recovered');
  });

  it('hands a settled step’s value back, also after the switch', async () => {
    const seen: unknown[] = [];
    function* record(): Steps<void> {
      seen.push(yield* settle('a'));
      seen.push(yield* settle(Promise.resolve('b')));
      seen.push(yield* settle('c'));
      seen.push(yield* settle(Promise.resolve('d')));
    }
    await drive(record());
    expect(seen).toEqual(['a', 'b', 'c', 'd']);
  });
});

describe('isPromiseLike', () => {
  it('recognises thenables only', () => {
    expect(isPromiseLike(Promise.resolve())).toBe(true);
    // biome-ignore lint/suspicious/noThenProperty: a hand-made thenable is what this checks
    expect(isPromiseLike({ then: () => undefined })).toBe(true);
    expect(isPromiseLike(null)).toBe(false);
    // biome-ignore lint/suspicious/noThenProperty: a `then` that is not a function
    expect(isPromiseLike({ then: 1 })).toBe(false);
    expect(isPromiseLike(3)).toBe(false);
  });
});
