import { describe, expect, it } from 'vitest';
import { nodeCrypto } from '../node/index.js';
import { parsePolicy } from '../policy/policy.js';
import type { CookieJar, RequestView } from '../ports.js';
import { MemoryStore } from '../store/memory-store.js';
import { createFakeClock } from '../testing/fake-clock.js';
import { SessionManager } from './manager.js';

const SECRET = 'meta-test-secret-with-32-plus-characters!!';
const MINUTE = 60_000;

function request(path: string, cookie?: string): { view: RequestView; jar: CookieJar; out: Map<string, string> } {
  const out = new Map<string, string>();
  const view: RequestView = {
    method: 'GET',
    path,
    encrypted: false,
    headers: { get: (name) => (name === 'host' ? 'localhost' : undefined) },
  };
  const jar: CookieJar = {
    get: (name) => (name === '__Host-spartan' ? cookie : undefined),
    setCookie: (name, line) => out.set(name, line),
    setHeader: () => undefined,
  };
  return { view, jar, out };
}

describe('session.meta (SPEC §6)', () => {
  it('expiresAt is the absolute end (createdAt + ttl); idleExpiresAt is lastSeenAt + the idle limit in force', async () => {
    const clock = createFakeClock();
    const manager = new SessionManager({
      secrets: SECRET,
      clock,
      crypto: nodeCrypto,
      store: new MemoryStore({ clock }),
      policy: parsePolicy({
        config: {
          duration: { ttl: 3600, idle: 900, touchAfter: 0 },
          privileged: { paths: ['/admin'], idle: 300, reauthAfter: 600 },
        },
      }),
    });
    const start = clock.now();
    const first = request('/');
    const context = await manager.begin(first.view, first.jar);
    context.session.n = 1;
    expect(context.session.meta).toMatchObject({ expiresAt: start + 60 * MINUTE, idleExpiresAt: start + 15 * MINUTE });
    await context.session.authenticate('alice');
    await context.commit();
    const cookie = /^__Host-spartan=([^;]+)/.exec(first.out.get('__Host-spartan') ?? '')?.[1];
    clock.advance(10 * MINUTE);
    const admin = request('/admin', cookie);
    const inside = await manager.begin(admin.view, admin.jar);
    expect(inside.session.meta).toMatchObject({
      createdAt: start,
      expiresAt: start + 60 * MINUTE,
      zone: 'privileged',
    });
    await inside.commit();
    const later = request('/admin', /^__Host-spartan=([^;]+)/.exec(admin.out.get('__Host-spartan') ?? '')?.[1]);
    const again = await manager.begin(later.view, later.jar);
    // The privileged idle limit (5 min) counts from the last write (the rotation on entering).
    expect(again.session.meta.idleExpiresAt).toBe(start + 10 * MINUTE + 5 * MINUTE);
    expect(again.session.meta.expiresAt).toBe(start + 60 * MINUTE);
  });
});
