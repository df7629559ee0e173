import type { StoredSession } from '../ports.js';

/** The fixed time `makeStoredSession` stamps records with: 2026-01-01T00:00:00Z. */
export const STORED_SESSION_TIME = Date.UTC(2026, 0, 1);

/**
 * A valid `StoredSession` for tests: version 1, empty data, anonymous, normal zone, every time
 * set to `STORED_SESSION_TIME`, with `overrides` applied on top (not validated, so tests can
 * build broken records on purpose). Each call returns fresh objects.
 */
export function makeStoredSession(overrides: Partial<StoredSession> = {}): StoredSession {
  return {
    version: 1,
    data: {},
    createdAt: STORED_SESSION_TIME,
    lastSeenAt: STORED_SESSION_TIME,
    rotatedAt: STORED_SESSION_TIME,
    userId: null,
    authenticatedAt: null,
    zone: 'normal',
    csrfSecret: null,
    ...overrides,
  };
}
