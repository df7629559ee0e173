import { describe, expect, it } from 'vitest';
import { isSpartanError } from '../errors/errors.js';
import { parsePolicy } from '../policy/policy.js';
import type { SessionEvent } from '../ports.js';
import { type CsrfGuardOptions, createCsrfGuard, isSafeMethod } from './guard.js';
import { FakeHolder, fakeRequest, manualClock } from './testing/fakes.js';
import { createCsrfSecret } from './token.js';

const SECRET = 'a-test-secret-that-is-long-enough-0123456789';
const HOST = { host: 'app.example' };

function guard(overrides: Partial<CsrfGuardOptions> = {}, mode: 'enforce' | 'report' = 'enforce') {
  return createCsrfGuard({
    policy: parsePolicy({ config: { csrf: { mode } } }),
    secrets: SECRET,
    mode: 'synchronizer',
    ...overrides,
  });
}

async function rejection(run: Promise<unknown>): Promise<unknown> {
  try {
    await run;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('safe methods', () => {
  it.each(['GET', 'HEAD', 'OPTIONS', 'TRACE'])('%s passes verify without checking anything', async (method) => {
    const events: SessionEvent[] = [];
    const request = fakeRequest({ method, headers: { ...HOST, 'sec-fetch-site': 'cross-site' } });
    // No session either: nothing is looked at.
    await expect(guard({ onEvent: (event) => events.push(event) }).verify(request)).resolves.toBeUndefined();
    expect(events).toEqual([]);
  });

  it.each(['POST', 'PUT', 'PATCH', 'DELETE', 'CONNECT', 'PROPFIND', 'get'])('%s is not safe', (method) => {
    expect(isSafeMethod(method)).toBe(false);
  });
});

describe('order of the checks', () => {
  it('the origin check runs first: a cross-site request with a valid token is sessions/cross-origin-request', async () => {
    const session = new FakeHolder();
    const csrf = guard();
    const token = await csrf.issueToken(fakeRequest({ method: 'GET', session }));
    const error = await rejection(
      csrf.verify(
        fakeRequest({ session, headers: { ...HOST, 'sec-fetch-site': 'cross-site', 'x-csrf-token': token } }),
      ),
    );
    expect(isSpartanError(error, 'sessions/cross-origin-request')).toBe(true);
    expect(error).toMatchObject({ status: 403, details: { reason: 'sec-fetch-site-cross-site' } });
  });

  it('a same-origin request without a token is sessions/csrf-invalid', async () => {
    const error = await rejection(
      guard().verify(
        fakeRequest({
          session: new FakeHolder(createCsrfSecret()),
          headers: { ...HOST, 'sec-fetch-site': 'same-origin' },
        }),
      ),
    );
    expect(isSpartanError(error, 'sessions/csrf-invalid')).toBe(true);
    expect(error).toMatchObject({ status: 403, details: { reason: 'token-missing' } });
  });

  it('a non-browser client (no Sec-Fetch-Site, Origin or Referer) is decided by the token', async () => {
    const session = new FakeHolder();
    const csrf = guard();
    const token = await csrf.issueToken(fakeRequest({ method: 'GET', session }));
    await expect(csrf.verify(fakeRequest({ session, headers: { 'x-csrf-token': token } }))).resolves.toBeUndefined();
    await expect(csrf.verify(fakeRequest({ session }))).rejects.toMatchObject({ code: 'sessions/csrf-invalid' });
  });
});

describe('events', () => {
  it('each rejection emits csrf-rejected at the clock time with the reason', async () => {
    const events: SessionEvent[] = [];
    const clock = manualClock(1234);
    const csrf = guard({ clock, onEvent: (event) => events.push(event) });
    await rejection(csrf.verify(fakeRequest({ headers: { ...HOST, origin: 'https://evil.example' } })));
    clock.advance(1000);
    await rejection(csrf.verify(fakeRequest({ session: new FakeHolder(), headers: { 'x-csrf-token': 'x' } })));
    expect(events).toEqual([
      { type: 'csrf-rejected', at: 1234, reason: 'origin-mismatch' },
      { type: 'csrf-rejected', at: 2234, reason: 'secret-missing' },
    ]);
  });

  it('events and errors never contain the token or the secret', async () => {
    const events: SessionEvent[] = [];
    const session = new FakeHolder();
    const csrf = guard({ onEvent: (event) => events.push(event) });
    const token = await csrf.issueToken(fakeRequest({ method: 'GET', session }));
    const wrong = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
    const error = await rejection(csrf.verify(fakeRequest({ session, headers: { 'x-csrf-token': wrong } })));
    const text = JSON.stringify({ events, error, message: (error as Error).message, stack: (error as Error).stack });
    expect(events).toEqual([{ type: 'csrf-rejected', at: expect.any(Number), reason: 'token-invalid' }]);
    for (const value of [token, wrong, session.secret!]) expect(text).not.toContain(value);
  });

  it('a throwing onEvent does not break verify', async () => {
    const csrf = guard({
      onEvent: () => {
        throw new Error('listener failed');
      },
    });
    const error = await rejection(csrf.verify(fakeRequest({ headers: { ...HOST, origin: 'null' } })));
    expect(isSpartanError(error, 'sessions/cross-origin-request')).toBe(true);
  });

  it('an async onEvent that rejects does not break verify nor leak an unhandled rejection', async () => {
    let called = 0;
    const csrf = guard(
      {
        onEvent: (() => {
          called++;
          return Promise.reject(new Error('listener failed'));
        }) as () => void,
      },
      'report',
    );
    await expect(csrf.verify(fakeRequest({ headers: { ...HOST, origin: 'null' } }))).resolves.toBeUndefined();
    expect(called).toBe(1);
  });
});

describe('report mode', () => {
  it('report mode does not throw on a cross-origin request but emits', async () => {
    const events: SessionEvent[] = [];
    const csrf = guard({ onEvent: (event) => events.push(event) }, 'report');
    await expect(
      csrf.verify(fakeRequest({ headers: { ...HOST, 'sec-fetch-site': 'cross-site' } })),
    ).resolves.toBeUndefined();
    expect(events).toMatchObject([{ type: 'csrf-rejected', reason: 'sec-fetch-site-cross-site' }]);
  });

  it('report mode does not throw on a bad token but emits', async () => {
    const events: SessionEvent[] = [];
    const csrf = guard({ onEvent: (event) => events.push(event) }, 'report');
    await expect(
      csrf.verify(fakeRequest({ session: new FakeHolder(createCsrfSecret()), headers: { 'x-csrf-token': 'nope' } })),
    ).resolves.toBeUndefined();
    expect(events).toMatchObject([{ type: 'csrf-rejected', reason: 'token-invalid' }]);
  });

  it('report mode without a listener is silent', async () => {
    await expect(
      guard({}, 'report').verify(fakeRequest({ headers: { ...HOST, origin: 'null' } })),
    ).resolves.toBeUndefined();
  });
});

describe('guard setup', () => {
  it('an unknown mode is sessions/option-type-incorrect', () => {
    expect(() => guard({ mode: 'cookie' as never })).toThrow(
      expect.objectContaining({ code: 'sessions/option-type-incorrect' }),
    );
  });

  it('secrets are validated like the session secrets', () => {
    expect(() => guard({ secrets: [] })).toThrow(expect.objectContaining({ code: 'sessions/missing-secret' }));
    expect(() => guard({ secrets: 'short' })).toThrow(expect.objectContaining({ code: 'sessions/weak-secret' }));
  });

  it('a bad trusted origin in a hand-built policy is sessions/invalid-policy at factory time', () => {
    const policy = parsePolicy({});
    const bad = { ...policy, config: { ...policy.config, csrf: { ...policy.config.csrf, trustedOrigins: ['nope'] } } };
    expect(() => guard({ policy: bad })).toThrow(expect.objectContaining({ code: 'sessions/invalid-policy' }));
  });

  it('the defaults (WebCrypto, system clock) work', async () => {
    const session = new FakeHolder();
    const csrf = createCsrfGuard({ policy: parsePolicy({}), secrets: [SECRET], mode: 'synchronizer' });
    const token = await csrf.issueToken(fakeRequest({ method: 'GET', session }));
    await expect(csrf.verify(fakeRequest({ session, headers: { 'x-csrf-token': token } }))).resolves.toBeUndefined();
  });
});
