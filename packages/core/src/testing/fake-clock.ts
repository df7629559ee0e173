import type { Clock } from '../ports.js';

/** A `Clock` tests move by hand, so nothing ever sleeps. */
export interface FakeClock extends Clock {
  /** The current fake time (ms since epoch). */
  now(): number;
  /** Moves time forward by `ms` (a finite, non-negative number of milliseconds). */
  advance(ms: number): void;
  /** Jumps to `ms` (ms since epoch; may go backwards, to test clock skew). */
  set(ms: number): void;
}

/**
 * A fake clock starting at `start` (ms since epoch).
 * @default start Date.UTC(2026, 0, 1)
 */
export function createFakeClock(start: number = Date.UTC(2026, 0, 1)): FakeClock {
  if (!Number.isFinite(start)) throw new RangeError('createFakeClock: start must be a finite number (ms)');
  let current = start;
  return {
    now: () => current,
    advance(ms: number): void {
      if (!Number.isFinite(ms) || ms < 0) throw new RangeError('FakeClock.advance: ms must be a finite number >= 0');
      current += ms;
    },
    set(ms: number): void {
      if (!Number.isFinite(ms)) throw new RangeError('FakeClock.set: ms must be a finite number');
      current = ms;
    },
  };
}
