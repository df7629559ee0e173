import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isSpartanError, SpartanError } from '../errors/errors.js';
import { type PolicyInput, parsePolicy } from '../policy/policy.js';
import { type CookieOptions, CookiePolicy } from './cookie-policy.js';
import { decodeCookieValue, encodeCookieValue } from './cookie-tools.js';
import { parseCookieHeader, serializeCookie } from './serialize.js';
import { insecureView, requestView, secureView } from './test-helpers.js';

type Config = NonNullable<PolicyInput['config']>;

function cookiePolicy(config: Config = {}): CookiePolicy {
  return new CookiePolicy(parsePolicy({ config }));
}

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('cookie prefix (config.cookies.prefix, RFC 6265bis §4.1.3)', () => {
  type Prefix = 'auto' | 'host' | 'secure' | 'none';
  // prefix, secure, path, domain → the session cookie's name, or 'invalid' when parsePolicy refuses it.
  const matrix: Array<[Prefix, boolean, string, string | null, string]> = [
    ['auto', true, '/', null, '__Host-spartan'],
    ['auto', true, '/', 'example.com', 'spartan'],
    ['auto', true, '/app', null, '__Secure-spartan'],
    ['auto', true, '/app', 'example.com', 'spartan'],
    ['auto', false, '/', null, 'spartan'],
    ['auto', false, '/', 'example.com', 'spartan'],
    ['auto', false, '/app', null, 'spartan'],
    ['auto', false, '/app', 'example.com', 'spartan'],
    ['host', true, '/', null, '__Host-spartan'],
    ['host', true, '/', 'example.com', 'invalid'],
    ['host', true, '/app', null, 'invalid'],
    ['host', true, '/app', 'example.com', 'invalid'],
    ['host', false, '/', null, 'invalid'],
    ['host', false, '/', 'example.com', 'invalid'],
    ['host', false, '/app', null, 'invalid'],
    ['host', false, '/app', 'example.com', 'invalid'],
    ['secure', true, '/', null, '__Secure-spartan'],
    ['secure', true, '/', 'example.com', '__Secure-spartan'],
    ['secure', true, '/app', null, '__Secure-spartan'],
    ['secure', true, '/app', 'example.com', '__Secure-spartan'],
    ['secure', false, '/', null, 'invalid'],
    ['secure', false, '/', 'example.com', 'invalid'],
    ['secure', false, '/app', null, 'invalid'],
    ['secure', false, '/app', 'example.com', 'invalid'],
    ['none', true, '/', null, 'spartan'],
    ['none', true, '/', 'example.com', 'spartan'],
    ['none', true, '/app', null, 'spartan'],
    ['none', true, '/app', 'example.com', 'spartan'],
    ['none', false, '/', null, 'spartan'],
    ['none', false, '/', 'example.com', 'spartan'],
    ['none', false, '/app', null, 'spartan'],
    ['none', false, '/app', 'example.com', 'spartan'],
  ];

  it.each(matrix)('prefix %s, secure %s, path %s, domain %s → %s', (prefix, secure, path, domain, expected) => {
    const config: Config = { path, domain, cookies: { prefix, secure } };
    if (expected === 'invalid') {
      expect(() => cookiePolicy(config)).toThrow(expect.objectContaining({ code: 'sessions/invalid-policy' }));
      return;
    }
    const policy = cookiePolicy(config);
    expect(policy.sessionCookieName).toBe(expected);
    expect(policy.nameFor('theme')).toBe(expected.replace('spartan', 'theme'));
    expect(policy.prefix).toBe(expected.replace('spartan', ''));
  });

  it('the default policy names the session cookie __Host-spartan', () => {
    expect(cookiePolicy().sessionCookieName).toBe('__Host-spartan');
    expect(cookiePolicy({ name: 'sid' }).sessionCookieName).toBe('__Host-sid');
  });

  it('keeps a name that already carries a prefix (any case) instead of doubling it', () => {
    const policy = cookiePolicy();
    expect(policy.nameFor('__Host-csrf')).toBe('__Host-csrf');
    expect(policy.nameFor('__Secure-csrf')).toBe('__Secure-csrf');
    expect(policy.nameFor('__host-csrf')).toBe('__host-csrf');
    expect(policy.nameFor('__SECURE-csrf')).toBe('__SECURE-csrf');
    expect(cookiePolicy({ cookies: { prefix: 'none' } }).nameFor('__Host-csrf')).toBe('__Host-csrf');
  });
});

describe('policy overlay (attributesFor)', () => {
  it('without options gives the policy attributes, shared and frozen (no allocation per call)', () => {
    const policy = cookiePolicy();
    const attributes = policy.attributesFor('__Host-theme');
    expect(attributes).toEqual({ path: '/', httpOnly: true, secure: true, sameSite: 'lax' });
    expect(Object.isFrozen(attributes)).toBe(true);
    expect(policy.attributesFor('__Host-other')).toBe(attributes);
  });

  it('the policy httpOnly/secure/sameSite always override the caller options', () => {
    const policy = cookiePolicy({ cookies: { httpOnly: true, secure: true, sameSite: 'strict' } });
    const attributes = policy.attributesFor('__Host-theme', { httpOnly: false, secure: false, sameSite: 'none' });
    expect(attributes).toMatchObject({ httpOnly: true, secure: true, sameSite: 'strict' });
    const relaxed = cookiePolicy({ cookies: { httpOnly: false, secure: false, sameSite: 'lax' } });
    expect(relaxed.attributesFor('theme', { httpOnly: true, secure: true, sameSite: 'strict' })).toEqual({
      path: '/',
      httpOnly: false,
      secure: false,
      sameSite: 'lax',
    });
  });

  it('takes path, domain, maxAge, expires, partitioned and priority from the caller', () => {
    const policy = cookiePolicy({ domain: 'example.com' });
    expect(policy.sessionCookieName).toBe('spartan');
    const expires = new Date(Date.UTC(2030, 0, 1));
    expect(
      policy.attributesFor('theme', {
        path: '/app',
        domain: 'app.example.com',
        maxAge: 60,
        expires,
        partitioned: true,
        priority: 'high',
      }),
    ).toEqual({
      path: '/app',
      domain: 'app.example.com',
      maxAge: 60,
      expires: expires.getTime(),
      partitioned: true,
      priority: 'high',
      httpOnly: true,
      secure: true,
      sameSite: 'lax',
    });
    expect(policy.attributesFor('theme', { expires: 1_000 }).expires).toBe(1_000);
  });

  it('path and domain default to the policy config.path and config.domain', () => {
    const policy = cookiePolicy({ path: '/app', domain: 'example.com' });
    expect(policy.attributesFor('theme', {})).toEqual({
      path: '/app',
      domain: 'example.com',
      httpOnly: true,
      secure: true,
      sameSite: 'lax',
    });
    expect(cookiePolicy({ cookies: { prefix: 'none' } }).attributesFor('theme', {})).toEqual({
      path: '/',
      httpOnly: true,
      secure: true,
      sameSite: 'lax',
    });
  });

  it('__Host- forces Path=/ and no Domain, and refuses a caller path or domain instead of changing it (RFC 6265bis §4.1.3.2)', () => {
    const policy = cookiePolicy({ cookies: { prefix: 'host' } });
    expect(policy.attributesFor(policy.nameFor('theme'), { path: '/' }).path).toBe('/');
    expect(() => policy.attributesFor(policy.nameFor('theme'), { path: '/app' })).toThrowError(
      expect.objectContaining({ code: 'sessions/option-type-incorrect', details: { option: 'path' } }),
    );
    expect(() => policy.attributesFor('__Host-theme', { domain: 'evil.example' })).toThrowError(
      expect.objectContaining({ code: 'sessions/option-type-incorrect', details: { option: 'domain' } }),
    );
    const withDomain = cookiePolicy({ domain: 'example.com', cookies: { prefix: 'none' } });
    expect(withDomain.attributesFor('__Host-csrf')).not.toHaveProperty('domain');
    expect(withDomain.attributesFor('__Host-csrf').path).toBe('/');
  });

  it('auto: a cookie with its own path keeps it and gets __Secure-; with its own domain, no prefix (SPEC §3)', () => {
    const policy = cookiePolicy();
    expect(policy.nameFor('theme')).toBe('__Host-theme');
    expect(policy.nameFor('theme', {})).toBe('__Host-theme');
    expect(policy.nameFor('theme', { path: '/' })).toBe('__Host-theme');
    const name = policy.nameFor('subc', { path: '/sub' });
    expect(name).toBe('__Secure-subc');
    expect(policy.attributesFor(name, { path: '/sub' })).toMatchObject({ path: '/sub', secure: true });
    expect(policy.nameFor('wide', { domain: 'example.com' })).toBe('wide');
    expect(policy.attributesFor('wide', { domain: 'example.com' })).toMatchObject({ domain: 'example.com', path: '/' });
    expect(policy.namesFor('subc')).toEqual(['__Host-subc', '__Secure-subc']);
    expect(cookiePolicy({ cookies: { secure: false } }).nameFor('subc', { path: '/sub' })).toBe('subc');
  });

  it('__Secure- and __Host- force Secure even when the policy does not (RFC 6265bis §4.1.3.1)', () => {
    const policy = cookiePolicy({ cookies: { secure: false, prefix: 'none' } });
    expect(policy.attributesFor('theme').secure).toBe(false);
    expect(policy.attributesFor('__Secure-theme').secure).toBe(true);
    expect(policy.attributesFor('__secure-theme', {}).secure).toBe(true);
    expect(policy.attributesFor('__Host-theme').secure).toBe(true);
    expect(policy.attributesFor('__HOST-theme', { path: '/' })).toMatchObject({ secure: true, path: '/' });
  });

  it('__Secure- keeps the caller path and domain', () => {
    const policy = cookiePolicy({ path: '/app' });
    expect(policy.sessionCookieName).toBe('__Secure-spartan');
    expect(policy.attributesFor('__Secure-x', { path: '/other', domain: 'example.com' })).toMatchObject({
      path: '/other',
      domain: 'example.com',
      secure: true,
    });
  });

  it('partitioned forces Secure (CHIPS)', () => {
    const policy = cookiePolicy({ cookies: { secure: false } });
    expect(policy.attributesFor('theme', { partitioned: true })).toMatchObject({ partitioned: true, secure: true });
    expect(policy.attributesFor('theme', { partitioned: false })).not.toHaveProperty('partitioned');
  });

  it.each<[string, unknown]>([
    ['path', 'app'],
    ['path', 42],
    ['domain', ''],
    ['domain', 7],
    ['maxAge', '60'],
    ['maxAge', Number.NaN],
    ['maxAge', Number.POSITIVE_INFINITY],
    ['expires', '2030-01-01'],
    ['expires', new Date(Number.NaN)],
    ['partitioned', 'yes'],
    ['priority', 'urgent'],
    ['sealed', 'true'],
  ])('rejects options.%s = %j with sessions/option-type-incorrect', (option, value) => {
    const error = caught(() => cookiePolicy().attributesFor('theme', { [option]: value } as CookieOptions));
    expect(isSpartanError(error, 'sessions/option-type-incorrect')).toBe(true);
    expect((error as SpartanError).details).toEqual({ option });
  });

  it.each<[string, string | null]>([
    ['/a b', null],
    ['/a,b', null],
    ['/a;b', null],
    ['/a\u0000', null],
    [`/${'a'.repeat(1024)}`, null],
    ['/', 'a b,c'],
    ['/', 'example.com:8080'],
    ['/', 'exa_mple.com'],
    ['/', 'example.com.'],
  ])('a policy with path %j and domain %j is sessions/invalid-policy naming the field', (path, domain) => {
    // A policy built by hand, past `parsePolicy` (which refuses it too): the cookie layer checks again.
    const policy = { ...parsePolicy(), config: { ...parsePolicy().config, path, domain } };
    const error = caught(() => new CookiePolicy(policy));
    expect(isSpartanError(error, 'sessions/invalid-policy')).toBe(true);
    const field = domain === null ? 'config.path' : 'config.domain';
    expect((error as SpartanError).details).toEqual({ issues: [{ path: field, message: expect.any(String) }] });
  });

  it('rejects options that are not an object', () => {
    const error = caught(() => cookiePolicy().attributesFor('theme', null as unknown as CookieOptions));
    expect(isSpartanError(error, 'sessions/option-type-incorrect')).toBe(true);
  });
});

describe('insecure-connection (assertSecureTransport)', () => {
  const views = {
    encrypted: requestView({ encrypted: true, headers: { host: 'example.com' } }),
    proxiedHttps: requestView({ headers: { host: 'example.com', 'x-forwarded-proto': 'https' } }),
    proxiedHttp: requestView({ headers: { host: 'example.com', 'x-forwarded-proto': 'http' } }),
    proxiedList: requestView({ headers: { host: 'example.com', 'x-forwarded-proto': 'https, http' } }),
    localhost: requestView({ headers: { host: 'localhost:3000' } }),
    loopbackV4: requestView({ headers: { host: '127.0.0.1:3000' } }),
    loopbackV6: requestView({ headers: { host: '[::1]:3000' } }),
    dotLocalhost: requestView({ headers: { host: 'app.localhost' } }),
    remote: requestView({ headers: { host: 'example.com' } }),
  };
  type ViewName = keyof typeof views;
  // view, trustProxy, localhostIsSecure → may a Secure cookie be set?
  const cases: Array<[ViewName, boolean, boolean, boolean]> = [
    ['encrypted', false, false, true],
    ['proxiedHttps', true, false, true],
    ['proxiedHttps', false, false, false],
    ['proxiedHttp', true, false, false],
    ['proxiedList', true, false, true],
    ['localhost', false, true, true],
    ['localhost', false, false, false],
    ['loopbackV4', false, true, true],
    ['loopbackV4', false, false, false],
    ['loopbackV6', false, true, true],
    ['loopbackV6', false, false, false],
    ['dotLocalhost', false, true, true],
    ['dotLocalhost', false, false, false],
    ['remote', true, true, false],
  ];

  it.each(cases)(
    '%s with trustProxy %s, localhostIsSecure %s: allowed %s',
    (view, trustProxy, localhostIsSecure, ok) => {
      const policy = cookiePolicy({ transport: { trustProxy, localhostIsSecure } });
      const attempt = () => policy.assertSecureTransport(views[view]);
      if (ok) {
        expect(attempt).not.toThrow();
        expect(policy.isSecureRequest(views[view])).toBe(true);
      } else {
        const error = caught(attempt);
        expect(isSpartanError(error, 'session/insecure-connection')).toBe(true);
        expect(policy.isSecureRequest(views[view])).toBe(false);
      }
    },
  );

  it('says how to fix it and names the cookie', () => {
    const error = caught(() => cookiePolicy().assertSecureTransport(views.remote)) as SpartanError;
    expect(error.code).toBe('session/insecure-connection');
    expect(error.message).toContain('trustProxy');
    expect(error.message).toContain('localhostIsSecure');
    expect(error.details).toEqual({ name: '__Host-spartan' });
  });

  it('lets a non-Secure cookie through on any connection', () => {
    const policy = cookiePolicy({ cookies: { secure: false } });
    expect(() => policy.assertSecureTransport(views.remote)).not.toThrow();
    expect(() => policy.assertSecureTransport(views.remote, policy.attributesFor('theme'), 'theme')).not.toThrow();
    // …unless a prefix makes it Secure.
    expect(() => policy.assertSecureTransport(views.remote, policy.attributesFor('__Host-x'), '__Host-x')).toThrowError(
      expect.objectContaining({ code: 'session/insecure-connection', details: { name: '__Host-x' } }),
    );
  });
});

describe('cookie-too-large (serialize)', () => {
  const policy = cookiePolicy();
  const attributes = policy.attributesFor('__Host-big');
  const overhead = serializeCookie('__Host-big', '', attributes).length;

  it('accepts a Set-Cookie of exactly 4096 bytes', () => {
    const header = policy.serialize('__Host-big', 'a'.repeat(4096 - overhead), attributes);
    expect(header.length).toBe(4096);
  });

  it('rejects 4097 bytes with the name and size, never the value', () => {
    const value = 's'.repeat(4097 - overhead);
    const error = caught(() => policy.serialize('__Host-big', value, attributes)) as SpartanError;
    expect(error.code).toBe('sessions/cookie-too-large');
    expect(error.details).toEqual({ name: '__Host-big', bytes: 4097, limit: 4096 });
    expect(error.message).not.toContain('sss');
  });

  it('property: a serialized header is ASCII, so its length is its size in UTF-8 bytes', () => {
    const text = fc.oneof(fc.string({ maxLength: 12 }), fc.string({ unit: 'binary', maxLength: 12 }));
    fc.assert(
      fc.property(text, text, text, text, (name, value, path, domain) => {
        let header: string;
        try {
          header = serializeCookie(name, value, { path, domain });
        } catch {
          return;
        }
        expect(new TextEncoder().encode(header).length).toBe(header.length);
      }),
      { numRuns: 1000 },
    );
  });

  it('applies to the session cookie too', () => {
    const name = policy.sessionCookieName;
    const sessionOverhead = policy.serializeSessionCookie('', 0).length;
    expect(policy.serializeSessionCookie('a'.repeat(4096 - sessionOverhead), 0)).toHaveLength(4096);
    expect(() => policy.serializeSessionCookie('a'.repeat(4097 - sessionOverhead), 0)).toThrowError(
      expect.objectContaining({ code: 'sessions/cookie-too-large', details: { name, bytes: 4097, limit: 4096 } }),
    );
  });

  it('still rejects unsafe values with a TypeError first', () => {
    expect(() => policy.serialize('__Host-big', 'a;b', attributes)).toThrow(TypeError);
  });
});

describe('session cookie', () => {
  const expiresAt = Date.UTC(2030, 5, 15, 12, 0, 0);

  it('carries the policy attributes and Expires = the session absolute expiry', () => {
    expect(cookiePolicy().serializeSessionCookie('id.tag', expiresAt)).toBe(
      '__Host-spartan=id.tag; Path=/; Expires=Sat, 15 Jun 2030 12:00:00 GMT; HttpOnly; Secure; SameSite=Lax',
    );
    expect(
      cookiePolicy({
        name: 'sid',
        path: '/app',
        domain: 'example.com',
        cookies: { sameSite: 'strict', httpOnly: false },
      }).serializeSessionCookie('v', expiresAt),
    ).toBe('sid=v; Domain=example.com; Path=/app; Expires=Sat, 15 Jun 2030 12:00:00 GMT; Secure; SameSite=Strict');
  });

  it('is cleared with the same name, path and domain, Max-Age=0 and an Expires in 1970', () => {
    expect(cookiePolicy().serializeSessionCookieClear()).toBe(
      '__Host-spartan=; Max-Age=0; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=Lax',
    );
    expect(cookiePolicy({ path: '/app', domain: 'example.com' }).serializeSessionCookieClear()).toBe(
      'spartan=; Max-Age=0; Domain=example.com; Path=/app; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=Lax',
    );
  });

  it('exposes its attributes, frozen', () => {
    const policy = cookiePolicy({ cookies: { secure: false } });
    expect(policy.sessionAttributes).toEqual({ path: '/', httpOnly: true, secure: false, sameSite: 'lax' });
    expect(Object.isFrozen(policy.sessionAttributes)).toBe(true);
  });

  it('rejects a value outside cookie-octet and an invalid time with a TypeError', () => {
    const policy = cookiePolicy();
    expect(() => policy.serializeSessionCookie('a;b', expiresAt)).toThrow(TypeError);
    expect(() => policy.serializeSessionCookie('a\r\nb', expiresAt)).toThrow(TypeError);
    expect(() => policy.serializeSessionCookie(1 as unknown as string, expiresAt)).toThrow(TypeError);
    expect(() => policy.serializeSessionCookie('a', Number.NaN)).toThrow(TypeError);
    expect(() => policy.serializeSessionCookie('a', '2030' as unknown as number)).toThrow(TypeError);
  });

  it('property: the precomputed hot path writes exactly what serializeCookie writes', () => {
    const configs: Config[] = [
      {},
      { path: '/app' },
      { domain: 'example.com', cookies: { sameSite: 'strict', httpOnly: false } },
      { cookies: { secure: false, prefix: 'none' } },
      { name: 'sid', path: '/a/b', domain: 'sub.example.com', cookies: { sameSite: 'none' } },
    ];
    const value = fc.stringMatching(/^[A-Za-z0-9._~-]{0,64}$/);
    const time = fc.integer({ min: 0, max: 8.64e15 });
    fc.assert(
      fc.property(fc.constantFrom(...configs), value, time, (config, v, t) => {
        const policy = cookiePolicy(config);
        expect(policy.serializeSessionCookie(v, t)).toBe(
          serializeCookie(policy.sessionCookieName, v, { ...policy.sessionAttributes, expires: t }),
        );
      }),
      { numRuns: 300 },
    );
  });

  it('asserts secure transport for the session cookie by default', () => {
    expect(() => cookiePolicy().assertSecureTransport(insecureView())).toThrow(SpartanError);
    expect(() => cookiePolicy().assertSecureTransport(secureView())).not.toThrow();
  });
});

describe('serializeClear', () => {
  it('expires a cookie with the attributes it was set with', () => {
    const policy = cookiePolicy({ domain: 'example.com' });
    expect(policy.serializeClear('theme', { path: '/app', maxAge: 3600 })).toBe(
      'theme=; Max-Age=0; Domain=example.com; Path=/app; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=Lax',
    );
  });
});

describe('value encoding', () => {
  it('writes cookie-octet values as they are', () => {
    expect(encodeCookieValue('abc-_.~!#$&()*+/:<=>?@[]^`{|}')).toBe('abc-_.~!#$&()*+/:<=>?@[]^`{|}');
    expect(encodeCookieValue('')).toBe('');
  });

  it('percent-encodes only what is outside cookie-octet, and "%"', () => {
    expect(encodeCookieValue('a b;c,d"e\\f%g')).toBe('a%20b%3Bc%2Cd%22e%5Cf%25g');
    expect(encodeCookieValue('héllo 😀')).toBe('h%C3%A9llo%20%F0%9F%98%80');
    expect(encodeCookieValue('a\r\nb')).toBe('a%0D%0Ab');
  });

  it('throws URIError for a lone surrogate', () => {
    expect(() => encodeCookieValue('a\uD800b')).toThrow(URIError);
  });

  it('decodes what it encoded and leaves malformed escapes alone', () => {
    expect(decodeCookieValue('a%20b')).toBe('a b');
    expect(decodeCookieValue('plain')).toBe('plain');
    expect(decodeCookieValue('%E0%A4%A')).toBe('%E0%A4%A');
    expect(decodeCookieValue('100%')).toBe('100%');
  });

  it('property: encoding yields a cookie-octet string that decodes to the original', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (value) => {
        const encoded = encodeCookieValue(value);
        expect(() => serializeCookie('a', encoded)).not.toThrow();
        expect(decodeCookieValue(parseCookieHeader(`a=${encoded}`).get('a')!)).toBe(value);
      }),
      { numRuns: 1000 },
    );
  });
});
