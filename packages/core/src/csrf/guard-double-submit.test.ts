import { afterEach, describe, expect, it, vi } from 'vitest';
import { createSealer } from '../cookie/sealed.js';
import { isSpartanError } from '../errors/errors.js';
import { type Policy, parsePolicy } from '../policy/policy.js';
import { type CsrfGuardOptions, createCsrfGuard, csrfCookieName } from './guard.js';
import { type FakeRequestInit, fakeRequest, manualClock } from './testing/fakes.js';
import { createCsrfSecret, maskCsrfToken } from './token.js';

const OLD_SECRET = 'the-old-secret-that-is-long-enough-0123456789';
const NEW_SECRET = 'the-new-secret-that-is-long-enough-9876543210';
const HOST_COOKIE = '__Host-spartan.csrf';

function doubleSubmit(options: Partial<CsrfGuardOptions> & { config?: Record<string, unknown> } = {}) {
  const { config, ...rest } = options;
  return createCsrfGuard({
    policy: parsePolicy({ config: config ?? {} }),
    secrets: OLD_SECRET,
    mode: 'double-submit',
    ...rest,
  });
}

/** Issues a token on a GET and returns it with the cookie value the response set. */
async function issue(csrf: ReturnType<typeof doubleSubmit>, init: FakeRequestInit = {}, name = HOST_COOKIE) {
  const request = fakeRequest({ method: 'GET', ...init });
  const token = await csrf.issueToken(request);
  return { token, cookie: request.jar.setValue(name), line: request.jar.set.get(name), request };
}

/**
 * Counts AES decryptions from now on (one per unseal attempt that gets past the MAC) by
 * spying on `globalThis.crypto.subtle`: iron-webcrypto 2 takes no WebCrypto and always uses
 * the global one. The spy is restored after each test (`afterEach` below).
 */
function countDecryptions(): () => number {
  const decrypt = vi.spyOn(globalThis.crypto.subtle, 'decrypt');
  return () => decrypt.mock.calls.length;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('double submit cookie (csrf({ cookie: true }))', () => {
  it('issueToken sets a sealed __Host- cookie: HttpOnly, Secure, Path=/, SameSite=Lax, Max-Age=ttl, no Domain', async () => {
    const { line, cookie } = await issue(doubleSubmit(), { headers: { host: 'app.example' }, encrypted: true });
    expect(line).toBeDefined();
    const attributes = line!.split('; ').slice(1).sort();
    expect(attributes).toEqual(['HttpOnly', 'Max-Age=43200', 'Path=/', 'SameSite=Lax', 'Secure']);
    expect(cookie).toMatch(/^Fe26\.2\*/);
  });

  it('the cookie is named after the policy name', async () => {
    const csrf = doubleSubmit({ config: { name: 'shop' } });
    const { line } = await issue(csrf, {}, '__Host-shop.csrf');
    expect(line).toMatch(/^__Host-shop\.csrf=/);
  });

  it('the cookie stays host-only with Path=/ whatever the policy domain and path', async () => {
    const csrf = doubleSubmit({ config: { domain: 'example.com', path: '/app' } });
    const { line } = await issue(csrf);
    expect(line).not.toMatch(/Domain=/);
    expect(line).toMatch(/; Path=\/;/);
  });

  it('SameSite follows the policy', async () => {
    expect((await issue(doubleSubmit({ config: { cookies: { sameSite: 'strict' } } }))).line).toMatch(
      /SameSite=Strict$/,
    );
    expect((await issue(doubleSubmit({ config: { cookies: { sameSite: 'none' } } }))).line).toMatch(/SameSite=None$/);
  });

  it('with a secure policy the cookie is Secure and __Host- even when the request looks like http (TLS proxy)', async () => {
    const { line } = await issue(doubleSubmit(), { headers: { host: 'app.example' }, encrypted: false });
    expect(line).toMatch(/^__Host-spartan\.csrf=.*; Secure/);
  });

  it('with secure: false over http the cookie falls back to the plain name without Secure', async () => {
    const csrf = doubleSubmit({ config: { cookies: { secure: false } } });
    const { line } = await issue(csrf, { headers: { host: 'app.example' } }, 'spartan.csrf');
    expect(line).toMatch(/^spartan\.csrf=/);
    expect(line).not.toMatch(/Secure/);
  });

  it('with secure: false over http://localhost the cookie is plain too (Safari drops Secure there)', async () => {
    const csrf = doubleSubmit({ config: { cookies: { secure: false } } });
    const { line } = await issue(csrf, { headers: { host: 'localhost:3000' } }, 'spartan.csrf');
    expect(line).toMatch(/^spartan\.csrf=/);
  });

  it('with secure: false over https (socket or trusted proxy) the cookie is still Secure and __Host-', async () => {
    const csrf = doubleSubmit({ config: { cookies: { secure: false }, transport: { trustProxy: true } } });
    expect((await issue(csrf, { encrypted: true })).line).toMatch(/^__Host-spartan\.csrf=.*; Secure/);
    expect((await issue(csrf, { headers: { 'x-forwarded-proto': 'https' } })).line).toMatch(/^__Host-spartan\.csrf=/);
  });

  it('a plain-name cookie set over http is not read on an https request', async () => {
    const csrf = doubleSubmit({ config: { cookies: { secure: false } } });
    const { token, cookie } = await issue(csrf, {}, 'spartan.csrf');
    await expect(
      csrf.verify(fakeRequest({ cookies: { 'spartan.csrf': cookie! }, headers: { 'x-csrf-token': token } })),
    ).resolves.toBeUndefined();
    await expect(
      csrf.verify(
        fakeRequest({ encrypted: true, cookies: { 'spartan.csrf': cookie! }, headers: { 'x-csrf-token': token } }),
      ),
    ).rejects.toMatchObject({ details: { reason: 'cookie-missing' } });
  });

  it('a token verifies with its cookie, from the header or the body field', async () => {
    const csrf = doubleSubmit();
    const { token, cookie } = await issue(csrf);
    const cookies = { [HOST_COOKIE]: cookie! };
    await expect(csrf.verify(fakeRequest({ cookies, headers: { 'x-csrf-token': token } }))).resolves.toBeUndefined();
    await expect(csrf.verify(fakeRequest({ cookies, body: { _csrf: token } }))).resolves.toBeUndefined();
  });

  it('the cookie is reused on the next issue: no new Set-Cookie, a different token that verifies too', async () => {
    const csrf = doubleSubmit();
    const first = await issue(csrf);
    const second = await issue(csrf, { cookies: { [HOST_COOKIE]: first.cookie! } });
    expect(second.line).toBeUndefined();
    expect(second.token).not.toBe(first.token);
    const cookies = { [HOST_COOKIE]: first.cookie! };
    await expect(
      csrf.verify(fakeRequest({ cookies, headers: { 'x-csrf-token': second.token } })),
    ).resolves.toBeUndefined();
  });

  it('two tokens issued in one response share one cookie', async () => {
    const csrf = doubleSubmit();
    const request = fakeRequest({ method: 'GET' });
    const first = await csrf.issueToken(request);
    const second = await csrf.issueToken(request);
    expect(request.jar.set.size).toBe(1);
    const cookies = { [HOST_COOKIE]: request.jar.setValue(HOST_COOKIE)! };
    for (const token of [first, second]) {
      await expect(csrf.verify(fakeRequest({ cookies, headers: { 'x-csrf-token': token } }))).resolves.toBeUndefined();
    }
  });

  it('a missing cookie is csrf-invalid', async () => {
    const csrf = doubleSubmit();
    const { token } = await issue(csrf);
    const error = await csrf
      .verify(fakeRequest({ headers: { 'x-csrf-token': token } }))
      .catch((caught: unknown) => caught);
    expect(isSpartanError(error, 'sessions/csrf-invalid')).toBe(true);
    expect(error).toMatchObject({ status: 403, details: { reason: 'cookie-missing' } });
    await expect(
      csrf.verify(fakeRequest({ cookies: { [HOST_COOKIE]: '' }, headers: { 'x-csrf-token': token } })),
    ).rejects.toMatchObject({ details: { reason: 'cookie-missing' } });
  });

  it.each([
    ['garbage', 'garbage'],
    ['an unsealed secret', createCsrfSecret()],
    ['a tampered seal', 'Fe26.2**0000*aaaa*bbbb*cccc**dddd*eeee'],
  ])('a forged cookie (%s) is csrf-invalid', async (_label, forged) => {
    const csrf = doubleSubmit();
    const { token } = await issue(csrf);
    await expect(
      csrf.verify(fakeRequest({ cookies: { [HOST_COOKIE]: forged }, headers: { 'x-csrf-token': token } })),
    ).rejects.toMatchObject({ code: 'sessions/csrf-invalid', details: { reason: 'cookie-invalid' } });
  });

  it('a cookie sealed with our CSRF keys but holding something else is csrf-invalid', async () => {
    const sealer = createSealer({ secrets: [OLD_SECRET], purpose: 'csrf-cookie' });
    const csrf = doubleSubmit();
    const { token } = await issue(csrf);
    for (const payload of [
      'a string',
      { s: 'x', e: Date.now() + 1e6 },
      { s: createCsrfSecret(), e: 'never' },
      { s: createCsrfSecret() },
      null,
    ]) {
      const cookies = { [HOST_COOKIE]: await sealer.seal(HOST_COOKIE, payload) };
      await expect(csrf.verify(fakeRequest({ cookies, headers: { 'x-csrf-token': token } }))).rejects.toMatchObject({
        details: { reason: 'cookie-invalid' },
      });
    }
  });

  it('a modified sealed cookie is csrf-invalid', async () => {
    const csrf = doubleSubmit();
    const { token, cookie } = await issue(csrf);
    const last = cookie!.at(-1) === 'A' ? 'B' : 'A';
    const cookies = { [HOST_COOKIE]: `${cookie!.slice(0, -1)}${last}` };
    await expect(csrf.verify(fakeRequest({ cookies, headers: { 'x-csrf-token': token } }))).rejects.toMatchObject({
      details: { reason: 'cookie-invalid' },
    });
  });

  it('a forged cookie on issue is replaced by a fresh one', async () => {
    const csrf = doubleSubmit();
    const { line } = await issue(csrf, { cookies: { [HOST_COOKIE]: 'garbage' } });
    expect(line).toMatch(/^__Host-spartan\.csrf=Fe26\.2\*/);
  });

  it('a token of one cookie does not verify with another cookie', async () => {
    const csrf = doubleSubmit();
    const a = await issue(csrf);
    const b = await issue(csrf);
    await expect(
      csrf.verify(fakeRequest({ cookies: { [HOST_COOKIE]: b.cookie! }, headers: { 'x-csrf-token': a.token } })),
    ).rejects.toMatchObject({ details: { reason: 'token-invalid' } });
  });

  it('secret rotation: a cookie sealed under the old secret verifies after [new, old], not after [new]', async () => {
    const { token, cookie } = await issue(doubleSubmit({ secrets: [OLD_SECRET] }));
    const request = () => fakeRequest({ cookies: { [HOST_COOKIE]: cookie! }, headers: { 'x-csrf-token': token } });
    await expect(doubleSubmit({ secrets: [NEW_SECRET, OLD_SECRET] }).verify(request())).resolves.toBeUndefined();
    await expect(doubleSubmit({ secrets: [NEW_SECRET] }).verify(request())).rejects.toMatchObject({
      details: { reason: 'cookie-invalid' },
    });
  });

  it('after rotation new cookies are sealed with the new secret', async () => {
    const { token, cookie } = await issue(doubleSubmit({ secrets: [NEW_SECRET, OLD_SECRET] }));
    const request = fakeRequest({ cookies: { [HOST_COOKIE]: cookie! }, headers: { 'x-csrf-token': token } });
    await expect(doubleSubmit({ secrets: [NEW_SECRET] }).verify(request)).resolves.toBeUndefined();
  });

  it('the cookie expires after the policy ttl (sealed expiry, checked against the clock)', async () => {
    const clock = manualClock();
    const csrf = doubleSubmit({ clock, config: { duration: { ttl: 3600, idle: 600 } } });
    const { token, cookie, line } = await issue(csrf);
    expect(line).toMatch(/Max-Age=3600/);
    const request = () => fakeRequest({ cookies: { [HOST_COOKIE]: cookie! }, headers: { 'x-csrf-token': token } });
    clock.advance(3599_000);
    await expect(csrf.verify(request())).resolves.toBeUndefined();
    clock.advance(1000);
    await expect(csrf.verify(request())).rejects.toMatchObject({ details: { reason: 'cookie-invalid' } });
    const next = await issue(csrf, { cookies: { [HOST_COOKIE]: cookie! } });
    expect(next.line).toBeDefined();
  });

  it('unsealing is cached: a cookie seen before costs no decryption', async () => {
    const issuer = doubleSubmit();
    const { token, cookie } = await issue(issuer);
    const csrf = doubleSubmit();
    const request = () => fakeRequest({ cookies: { [HOST_COOKIE]: cookie! }, headers: { 'x-csrf-token': token } });
    const decryptions = countDecryptions();
    await csrf.verify(request());
    expect(decryptions()).toBe(1);
    await csrf.verify(request());
    await csrf.issueToken(request());
    expect(decryptions()).toBe(1);
  });

  it('a cookie the guard sealed itself is already cached', async () => {
    const decryptions = countDecryptions();
    const csrf = doubleSubmit();
    const { token, cookie } = await issue(csrf);
    await csrf.verify(fakeRequest({ cookies: { [HOST_COOKIE]: cookie! }, headers: { 'x-csrf-token': token } }));
    expect(decryptions()).toBe(0);
    // The count sees the guard's unsealing: another guard (empty cache) decrypts that cookie.
    await doubleSubmit().verify(
      fakeRequest({ cookies: { [HOST_COOKIE]: cookie! }, headers: { 'x-csrf-token': token } }),
    );
    expect(decryptions()).toBe(1);
  });

  it('the unseal cache is bounded (least recently used evicted first); size 0 disables it', async () => {
    const issuer = doubleSubmit();
    const a = await issue(issuer);
    const b = await issue(issuer);
    const verifyWith = (csrf: ReturnType<typeof doubleSubmit>, issued: { token: string; cookie: string | undefined }) =>
      csrf.verify(
        fakeRequest({ cookies: { [HOST_COOKIE]: issued.cookie! }, headers: { 'x-csrf-token': issued.token } }),
      );

    const decryptions = countDecryptions();
    const small = doubleSubmit({ cacheSize: 1 });
    await verifyWith(small, a);
    await verifyWith(small, a);
    expect(decryptions()).toBe(1);
    await verifyWith(small, b);
    await verifyWith(small, a);
    expect(decryptions()).toBe(3);

    const uncached = doubleSubmit({ cacheSize: 0 });
    await verifyWith(uncached, a);
    await verifyWith(uncached, a);
    expect(decryptions()).toBe(5);
  });

  it('a session holder is not needed', async () => {
    const csrf = doubleSubmit();
    const { token, cookie } = await issue(csrf);
    await expect(
      csrf.verify(fakeRequest({ cookies: { [HOST_COOKIE]: cookie! }, headers: { 'x-csrf-token': token } })),
    ).resolves.toBeUndefined();
  });

  it('the webCrypto option derives the cookie keys; sealing itself runs on globalThis.crypto', async () => {
    const calls: string[] = [];
    const subtle = new Proxy(globalThis.crypto.subtle, {
      get(target, property) {
        const value: unknown = Reflect.get(target, property);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          calls.push(String(property));
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    const webCrypto = {
      getRandomValues: <T extends ArrayBufferView>(array: T) => globalThis.crypto.getRandomValues(array),
      subtle,
    } as Crypto;
    const encrypt = vi.spyOn(globalThis.crypto.subtle, 'encrypt');
    const { cookie } = await issue(doubleSubmit({ webCrypto }));
    expect(cookie).toMatch(/^Fe26\.2\*/);
    // One secret: one key import and one HMAC, through the given WebCrypto; no AES there.
    expect(calls).toEqual(['importKey', 'sign']);
    expect(encrypt).toHaveBeenCalledTimes(1);
  });

  it('opens a cookie sealed by the previous release (iron-webcrypto 1.2.1): rolling deploys keep their CSRF cookies', async () => {
    // Made once with iron-webcrypto 1.2.1 (the copy in the pnpm store) by a throwaway script,
    // as guard.ts sealed it on that release:
    //   key = createHmac('sha256', OLD_SECRET).update('spartan-sessions/v1/csrf-cookie').digest('base64url')
    //   iron.seal(webcrypto, { p: 'csrf-cookie', n: '__Host-spartan.csrf', d: { s: SECRET, e: 1_700_043_200_000 } },
    //             key, { ...iron.defaults, ttl: 0 })
    // with SECRET = Buffer.alloc(32, 7).toString('base64url'). Never regenerate it with the
    // current iron: the point is a string the old release wrote.
    const secret = 'BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc';
    const sealedByV1 =
      'Fe26.2**3097562582945895ad9eced425e218e70e601a792c15f4eb89a57a247e5659b1*ccGOzC2fXCBwaDO07u-2FA*' +
      'LKgeo2kK_qij7Gn3Y4VmfeMRklQ5wPa3E62zYSTyuH8Gdyrph-sO5VVs3b5Sx_-XNOWCIX9pJdWtzBN-DB5Dp8ON_a8psqQ-' +
      'Duf4qDjY6I9yQLS8zQ0HQxkrUQpp64wFb0N3RHfCmu7cb6V_VwJxhy5SEzqiHgsniaAzpGCYr4c**' +
      '86d7320762a833a81bee177f57eb75330b350d27dbe942e9c042fbce580c425d*QT2j3EMdRF-9db5emC3pguPVEdPqNj69-PuX8UYCKzM';
    const clock = manualClock(1_700_000_000_000);
    const csrf = doubleSubmit({ clock });
    const request = (token: string) =>
      fakeRequest({ cookies: { [HOST_COOKIE]: sealedByV1 }, headers: { 'x-csrf-token': token } });
    await expect(csrf.verify(request(maskCsrfToken(secret)))).resolves.toBeUndefined();
    await expect(csrf.verify(request(maskCsrfToken(createCsrfSecret())))).rejects.toMatchObject({
      details: { reason: 'token-invalid' },
    });
    // Its own expiry still holds.
    clock.advance(43_200_000);
    await expect(csrf.verify(request(maskCsrfToken(secret)))).rejects.toMatchObject({
      details: { reason: 'cookie-invalid' },
    });
  });
});

describe('csrfCookieName', () => {
  it('is __Host-<name>.csrf when Secure, <name>.csrf otherwise', () => {
    const policy: Policy = parsePolicy({ config: { name: 'app' } });
    expect(csrfCookieName(policy, true)).toBe('__Host-app.csrf');
    expect(csrfCookieName(policy, false)).toBe('app.csrf');
  });
});
