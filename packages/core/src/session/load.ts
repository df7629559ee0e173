/**
 * What a request brings: its cookie verified, its record read, expiry and fixation decided
 * (SPEC §5), then the privileged-area rules applied to the path. No write happens here but the
 * deletion of a record found expired.
 */
import { SpartanError } from '../errors/errors.js';
import type { CookieJar, StoredSession } from '../ports.js';
import { keyHashOf, type SessionIdentity, type VerifiedCookie } from './ids.js';
import type { ManagerInternals } from './manager.js';
import { isPromiseLike, type Steps, settle } from './maybe.js';
import { requestRotation, type SessionState } from './state.js';

/** The session a request arrives with, or none (then `record` is `null`). */
export interface Arrival {
  stored: SessionIdentity | null;
  record: StoredSession | null;
  /** The cookie named no live session: the response clears it (unless a new session is stored). */
  clearCookie: boolean;
  /** The cookie was signed with a rotated-out secret: the response re-signs it. */
  resignCookie: boolean;
  /** `renewal` seconds have passed since the id last changed: rotate it. */
  renew: boolean;
}

const NOTHING: Arrival = Object.freeze({
  stored: null,
  record: null,
  clearCookie: false,
  resignCookie: false,
  renew: false,
}) as Arrival;

const REJECTED: Arrival = Object.freeze({ ...NOTHING, clearCookie: true }) as Arrival;

export function* arrive(m: ManagerInternals, jar: CookieJar): Steps<Arrival> {
  const cookieValue = jar.get(m.cookieName);
  if (cookieValue === undefined || cookieValue === '') return NOTHING;
  // The two steps of every returning visitor's request take a promise only when one comes (not
  // `yield* settle(…)`, which costs a generator object each time).
  const verifying = m.codec.verifyNow(cookieValue);
  const verified = isPromiseLike(verifying) ? ((yield verifying) as VerifiedCookie | null) : verifying;
  if (!verified) {
    // A forged or malformed cookie: rejected before the store is asked anything.
    m.emit({ type: 'tamper-rejected', at: m.clock.now(), reason: 'bad-signature' });
    return REJECTED;
  }
  const { identity } = verified;
  const reading = m.records.get(identity.key);
  const record = isPromiseLike(reading) ? ((yield reading) as StoredSession | null) : reading;
  const now = m.clock.now();
  if (!record) {
    // Strict mode: a well-signed id the store does not know is never adopted (fixation). Past
    // the end its cookie carries, the store forgot it at expiry: the visitor walked away.
    const { end } = identity;
    m.emit(
      now >= end.at
        ? { type: 'expired', at: now, keyHash: keyHashOf(identity.key), reason: end.reason }
        : { type: 'fixation-rejected', at: now, keyHash: keyHashOf(identity.key), reason: 'unknown-id' },
    );
    m.codec.forget(cookieValue);
    return REJECTED;
  }
  const absoluteEnd = record.createdAt + m.timing.ttl;
  if (now >= absoluteEnd || now >= m.idleExpiresAt(record)) {
    yield* settle(m.records.destroy(identity.key));
    m.codec.forget(cookieValue);
    m.emit({
      type: 'expired',
      at: now,
      keyHash: keyHashOf(identity.key),
      ...(record.userId !== null && { userId: record.userId }),
      reason: now >= absoluteEnd ? 'ttl' : 'idle',
    });
    return REJECTED;
  }
  return {
    stored: identity,
    record,
    clearCookie: false,
    resignCookie: !verified.current,
    renew: m.timing.renewal > 0 && now - record.rotatedAt >= m.timing.renewal,
  };
}

/**
 * Zone changes rotate the id; a stale authentication in a privileged area is refused: the
 * refusal is returned for the adapter to hand to its framework's error path.
 */
export function applyZone(state: SessionState): SpartanError | null {
  const m = state.manager;
  const zone = m.zoneOf(state.view.path);
  if (zone === 'excluded') return null;
  if (state.stored !== null && zone !== state.meta.zone) {
    state.meta.zone = zone;
    requestRotation(state, zone === 'privileged' ? 'zone-enter' : 'zone-leave');
  } else {
    state.meta.zone = zone;
  }
  if (zone !== 'privileged') return null;
  const authenticatedAt = state.meta.authenticatedAt;
  if (authenticatedAt !== null && m.clock.now() - authenticatedAt <= m.timing.reauthAfter) return null;
  return new SpartanError('sessions/reauthentication-required', undefined, {
    reason: authenticatedAt === null ? 'not-authenticated' : 'stale-authentication',
  });
}
