import { describe, expect, it } from 'vitest';
import { nodeCrypto } from '../node/index.js';
import type { SessionEvent } from '../ports.js';
import { MemoryStore } from '../store/memory-store.js';
import { createFakeClock } from '../testing/fake-clock.js';
import { makeStoredSession } from '../testing/stored-session.js';
import { keyHashOf } from './ids.js';
import { SessionManager } from './manager.js';

const SECRET = 'admin-test-secret-with-32-plus-characters!!';
const MINUTE = 60_000;

function setup(policy: object = {}) {
  const clock = createFakeClock();
  const store = new MemoryStore({ clock });
  const events: SessionEvent[] = [];
  const manager = new SessionManager({
    secrets: SECRET,
    store,
    clock,
    crypto: nodeCrypto,
    policy,
    onEvent: (event) => events.push(event),
  });
  const put = (key: string, overrides: Parameters<typeof makeStoredSession>[0], expiresIn = 30 * MINUTE) =>
    store.set(key, makeStoredSession({ createdAt: clock.now(), lastSeenAt: clock.now(), ...overrides }), {
      expiresAt: clock.now() + expiresIn,
      expectedVersion: null,
    });
  return { clock, store, events, manager, put };
}

describe('administration: sessionsOf and revokeUser', () => {
  it('sessionsOf lists a user’s live sessions by key hash, most recently seen first, with both ends', async () => {
    const t = setup();
    const start = t.clock.now();
    await t.put('phone-key-aaaaaaaaaaaa', { userId: 'alice', lastSeenAt: start - MINUTE });
    await t.put('laptop-key-bbbbbbbbbbb', { userId: 'alice', zone: 'privileged', authenticatedAt: start });
    await t.put('someone-elses-key-cccc', { userId: 'bob' });
    const sessions = await t.manager.sessionsOf('alice');
    expect(sessions).toEqual([
      {
        keyHash: keyHashOf('laptop-key-bbbbbbbbbbb'),
        createdAt: start,
        lastSeenAt: start,
        expiresAt: start + 43_200_000,
        idleExpiresAt: start + 300_000,
        zone: 'privileged',
        authenticatedAt: start,
      },
      expect.objectContaining({ keyHash: keyHashOf('phone-key-aaaaaaaaaaaa'), idleExpiresAt: start + 29 * MINUTE }),
    ]);
    expect(JSON.stringify(sessions)).not.toContain('laptop-key-bbbbbbbbbbb');
  });

  it('revokeUser with except keeps exactly the session named by its key hash', async () => {
    const t = setup();
    await t.put('keep-me-key-aaaaaaaaaaa', { userId: 'alice' });
    await t.put('end-me-key-bbbbbbbbbbbb', { userId: 'alice' });
    await t.put('end-me-too-key-cccccccc', { userId: 'alice' });
    expect(
      await t.manager.revokeUser('alice', 'password-changed', { except: keyHashOf('keep-me-key-aaaaaaaaaaa') }),
    ).toBe(2);
    expect((await t.store.listByUser('alice')).map((entry) => entry.key)).toEqual(['keep-me-key-aaaaaaaaaaa']);
    expect(t.events.map((event) => [event.type, event.reason])).toEqual([
      ['revoked', 'password-changed'],
      ['revoked', 'password-changed'],
    ]);
  });

  it('revokeUser with an except that names no session, or several, revokes nothing', async () => {
    const t = setup();
    await t.put('same-prefix-key-aaaaaaa', { userId: 'alice' });
    await t.put('same-prefix-key-bbbbbbb', { userId: 'alice' });
    for (const [except, matches] of [
      ['zzzz', 0],
      ['same', 2],
    ] as const) {
      await expect(t.manager.revokeUser('alice', 'admin', { except })).rejects.toMatchObject({
        code: 'sessions/option-type-incorrect',
        details: { option: 'except', matches },
      });
    }
    await expect(t.manager.revokeUser('alice', 'admin', { except: 'a b' })).rejects.toMatchObject({
      details: { option: 'except' },
    });
    expect(await t.store.listByUser('alice')).toHaveLength(2);
  });

  it('revokeUser also ends a record the store holds that this policy counts as expired', async () => {
    // Another process with a longer idle limit wrote it, and the store keeps it that long.
    const t = setup({ config: { duration: { idle: 600 } } });
    await t.put('long-idle-key-aaaaaaaaa', { userId: 'alice' }, 60 * MINUTE);
    t.clock.advance(20 * MINUTE);
    expect(await t.manager.sessionsOf('alice')).toEqual([]);
    expect(await t.manager.revokeUser('alice')).toBe(1);
    expect(await t.store.listByUser('alice')).toEqual([]);
  });
});
