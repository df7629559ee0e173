import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStore, parsePolicy } from '@spartan-sessions/core';
import { describe, expect, it } from 'vitest';
import { isSpartanError, spartan } from '../src/index.js';
import { SECRET } from './support/stores.js';

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return isSpartanError(error) ? error.code : `not a SpartanError: ${String(error)}`;
  }
  return undefined;
}

describe('spartan()', () => {
  it('returns the module object of SPEC §7', () => {
    const { sessions, manager } = spartan({ secrets: SECRET });
    expect(Object.keys(sessions).sort()).toEqual(['cookieMaker', 'cookieMonster', 'cookieReader', 'csrf', 'sessioner']);
    for (const member of Object.values(sessions)) expect(typeof member).toBe('function');
    expect(manager.cookieName).toBe('__Host-spartan');
    expect(typeof manager.revokeUser).toBe('function');
    expect(manager.store).toBeInstanceOf(MemoryStore);
  });

  it('accepts a parsed policy, a plain security.json document, or a path to one', () => {
    const document = { config: { name: 'app' } };
    expect(spartan({ secrets: SECRET, policy: document }).manager.cookieName).toBe('__Host-app');
    expect(spartan({ secrets: SECRET, policy: parsePolicy(document) }).manager.cookieName).toBe('__Host-app');
    const file = join(mkdtempSync(join(tmpdir(), 'spartan-express-')), 'security.json');
    writeFileSync(file, JSON.stringify({ config: { name: 'fromfile', domain: 'example.com' } }));
    const { manager } = spartan({ secrets: SECRET, policy: file });
    // A domain cookie gets no prefix (SPEC §3).
    expect(manager.cookieName).toBe('fromfile');
    expect(manager.policy.config.domain).toBe('example.com');
  });

  it('uses the given store', () => {
    const store = new MemoryStore();
    expect(spartan({ secrets: SECRET, store }).manager.store).toBe(store);
  });

  it('throws sessions/disabled-by-policy when sessionPolicy.enabled is false', () => {
    expect(codeOf(() => spartan({ secrets: SECRET, policy: { sessionPolicy: { enabled: false } } }))).toBe(
      'sessions/disabled-by-policy',
    );
  });

  it('throws the secret errors', () => {
    expect(codeOf(() => spartan({ secrets: [] }))).toBe('sessions/missing-secret');
    expect(codeOf(() => spartan({ secrets: 'short' }))).toBe('sessions/weak-secret');
  });

  it("refuses express-session's options as a port passes them, saying what to use instead", () => {
    // Plain JavaScript, as most express-session apps are: the types would flag these.
    const expressSessionStyle = {
      secret: SECRET,
      resave: false,
      saveUninitialized: false,
      cookie: { maxAge: 86_400_000 },
    } as unknown as Parameters<typeof spartan>[0];
    let error: unknown;
    try {
      spartan(expressSessionStyle);
    } catch (caught) {
      error = caught;
    }
    expect(isSpartanError(error) && error.code).toBe('sessions/option-type-incorrect');
    expect((error as Error).message).toMatch(/^`secret` is an express-session option: use `secrets`/);
    expect((error as Error).message).not.toContain(SECRET);
  });

  it('throws sessions/invalid-policy for a bad document or an unreadable path', () => {
    expect(codeOf(() => spartan({ secrets: SECRET, policy: { config: { duration: { ttl: -1 } } } }))).toBe(
      'sessions/invalid-policy',
    );
    expect(codeOf(() => spartan({ secrets: SECRET, policy: '/nonexistent/security.json' }))).toBe(
      'sessions/invalid-policy',
    );
  });
});
