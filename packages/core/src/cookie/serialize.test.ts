import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CookieAttributes } from '../ports.js';
import {
  isValidCookieDomain,
  isValidCookieName,
  isValidCookiePath,
  isValidCookieValue,
  MAX_COOKIE_BYTES,
  parseCookieHeader,
  readCookie,
  serializeCookie,
} from './serialize.js';

const TOKEN_CHARS = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const tokenArbitrary = fc.string({ unit: fc.constantFrom(...TOKEN_CHARS), minLength: 1, maxLength: 12 });

describe('serializeCookie', () => {
  it('writes attributes in a fixed order: Max-Age, Domain, Path, Expires, HttpOnly, Secure, Partitioned, Priority, SameSite', () => {
    const header = serializeCookie('id', 'abc', {
      sameSite: 'strict',
      priority: 'high',
      partitioned: true,
      secure: true,
      httpOnly: true,
      expires: Date.UTC(2030, 0, 2, 3, 4, 5),
      path: '/app',
      domain: 'example.com',
      maxAge: 60,
    });
    expect(header).toBe(
      'id=abc; Max-Age=60; Domain=example.com; Path=/app; Expires=Wed, 02 Jan 2030 03:04:05 GMT; HttpOnly; Secure; Partitioned; Priority=High; SameSite=Strict',
    );
  });

  it('writes only the name and value without attributes', () => {
    expect(serializeCookie('a', '')).toBe('a=');
    expect(serializeCookie('a', 'b', {})).toBe('a=b');
  });

  it('leaves out false flags', () => {
    expect(serializeCookie('a', 'b', { httpOnly: false, secure: false, partitioned: false })).toBe('a=b');
  });

  it('floors a fractional Max-Age and keeps a negative one', () => {
    expect(serializeCookie('a', 'b', { maxAge: 1.9 })).toBe('a=b; Max-Age=1');
    expect(serializeCookie('a', 'b', { maxAge: -1 })).toBe('a=b; Max-Age=-1');
  });

  it('spells every SameSite and Priority value as browsers expect', () => {
    expect(serializeCookie('a', 'b', { sameSite: 'lax' })).toBe('a=b; SameSite=Lax');
    expect(serializeCookie('a', 'b', { sameSite: 'none' })).toBe('a=b; SameSite=None');
    expect(serializeCookie('a', 'b', { priority: 'low' })).toBe('a=b; Priority=Low');
    expect(serializeCookie('a', 'b', { priority: 'medium' })).toBe('a=b; Priority=Medium');
  });

  it('accepts prefixed names and every cookie-octet in values', () => {
    expect(serializeCookie('__Host-x', 'Fe26.2**a*b~c-_!#$%&()+/:<=>?@[]^`{|}')).toBe(
      '__Host-x=Fe26.2**a*b~c-_!#$%&()+/:<=>?@[]^`{|}',
    );
  });

  it.each([['a;b'], ['a b'], ['a\r\nSet-Cookie: x'], ['a=b'], [''], ['a\tb'], ['é'], ['a,b'], ['(a)']])(
    'rejects the name %j with a TypeError (header injection)',
    (name) => {
      expect(() => serializeCookie(name, 'v')).toThrow(TypeError);
    },
  );

  it.each([['a;b'], ['a b'], ['a\r\nSet-Cookie: x'], ['a\nb'], ['"quoted"'], ['a,b'], ['a\\b'], ['é'], ['\u0000']])(
    'rejects the value %j with a TypeError (header injection)',
    (value) => {
      expect(() => serializeCookie('a', value)).toThrow(TypeError);
    },
  );

  it.each<[string, CookieAttributes]>([
    ['domain with ;', { domain: 'example.com; Secure' }],
    ['domain with CRLF', { domain: 'example.com\r\nX: y' }],
    ['empty domain', { domain: '' }],
    ['path with ;', { path: '/; Domain=evil.com' }],
    ['path with LF', { path: '/\nX: y' }],
    ['empty path', { path: '' }],
    ['domain with space and comma', { domain: 'a b,c' }],
    ['domain with a port', { domain: 'example.com:443' }],
    ['path with space', { path: '/a b' }],
    ['path with comma', { path: '/a,b' }],
    ['path not starting with /', { path: 'app' }],
    ['infinite maxAge', { maxAge: Number.POSITIVE_INFINITY }],
    ['NaN maxAge', { maxAge: Number.NaN }],
    ['invalid expires', { expires: Number.NaN }],
    ['expires out of Date range', { expires: 8.64e15 + 1 }],
  ])('rejects an attribute that could smuggle or break the header: %s', (_label, attributes) => {
    expect(() => serializeCookie('a', 'b', attributes)).toThrow(TypeError);
  });

  it('rejects enumerated attributes outside their set, even from untyped callers', () => {
    const smuggled = 'lax\r\nSet-Cookie: evil=1';
    expect(() => serializeCookie('a', 'b', { sameSite: smuggled } as unknown as CookieAttributes)).toThrow(TypeError);
    expect(() => serializeCookie('a', 'b', { sameSite: '' } as unknown as CookieAttributes)).toThrow(TypeError);
    expect(() => serializeCookie('a', 'b', { sameSite: 'toString' } as unknown as CookieAttributes)).toThrow(TypeError);
    expect(() => serializeCookie('a', 'b', { priority: 'urgent' } as unknown as CookieAttributes)).toThrow(TypeError);
    expect(() => serializeCookie('a', 'b', { priority: '' } as unknown as CookieAttributes)).toThrow(TypeError);
  });

  it('rejects non-string names, values and attributes and string times from untyped callers', () => {
    expect(() => serializeCookie(1 as unknown as string, 'b')).toThrow(TypeError);
    expect(() => serializeCookie('a', 1 as unknown as string)).toThrow(TypeError);
    expect(() => serializeCookie('a', 'b', { path: {} } as unknown as CookieAttributes)).toThrow(TypeError);
    expect(() => serializeCookie('a', 'b', { domain: ['x'] } as unknown as CookieAttributes)).toThrow(TypeError);
    expect(() => serializeCookie('a', 'b', { maxAge: '1; Domain=evil' } as unknown as CookieAttributes)).toThrow(
      TypeError,
    );
    expect(() => serializeCookie('a', 'b', { expires: '2030-01-01' } as unknown as CookieAttributes)).toThrow(
      TypeError,
    );
  });

  it('exposes the name and value validators', () => {
    expect(isValidCookieName('spartan')).toBe(true);
    expect(isValidCookieName('a b')).toBe(false);
    expect(isValidCookieValue('')).toBe(true);
    expect(isValidCookieValue('a;b')).toBe(false);
    expect(MAX_COOKIE_BYTES).toBe(4096);
  });

  it('isValidCookiePath: "/" then printable ASCII but space, ";" and ",", at most 1024 characters', () => {
    for (const path of ['/', '/app', '/a/b/', '/a%20b', '/~u', '/"q"', '/a=b?c#d', `/${'a'.repeat(1023)}`]) {
      expect(isValidCookiePath(path)).toBe(true);
    }
    for (const path of [
      '',
      'app',
      ' /',
      '/a b',
      '/a,b',
      '/a;b',
      '/a\tb',
      '/a\r\nb',
      '/\u007f',
      '/é',
      `/${'a'.repeat(1024)}`,
    ]) {
      expect(isValidCookiePath(path)).toBe(false);
    }
    expect(isValidCookiePath(undefined)).toBe(false);
    expect(isValidCookiePath(['/'])).toBe(false);
  });

  it('isValidCookieDomain: a host name, optionally led by one "."', () => {
    for (const domain of [
      'example.com',
      '.example.com',
      'a-b.c0.example',
      'localhost',
      '127.0.0.1',
      'EXAMPLE.COM',
      `${'a'.repeat(63)}.b`,
    ]) {
      expect(isValidCookieDomain(domain)).toBe(true);
    }
    for (const domain of [
      '',
      '.',
      'a b,c',
      'a,b',
      'a;b',
      'example.com:80',
      'example.com.',
      '..example.com',
      'a..b',
      '-a.com',
      'a-.com',
      'a_b.com',
      'exämple.com',
      '[::1]',
      'a\u0000b',
      `${'a'.repeat(64)}.com`,
      `${'a.'.repeat(126)}com`,
    ]) {
      expect(isValidCookieDomain(domain)).toBe(false);
    }
    // 253 characters is the longest host name; the leading dot does not count.
    const longest = `${'a.'.repeat(125)}com`;
    expect(longest).toHaveLength(253);
    expect(isValidCookieDomain(longest)).toBe(true);
    expect(isValidCookieDomain(`.${longest}`)).toBe(true);
    expect(isValidCookieDomain(7)).toBe(false);
  });

  it('property: every accepted path and domain stays one attribute (no ";", ",", whitespace or control)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (text) => {
        for (const accepted of [isValidCookiePath(text), isValidCookieDomain(text)]) {
          if (accepted) expect(text).toMatch(/^[\x21-\x2B\x2D-\x3A\x3C-\x7E]+$/);
        }
      }),
    );
  });

  it('property: either throws a TypeError or produces a header that parses back to the same name and value', () => {
    fc.assert(
      fc.property(
        fc.oneof(tokenArbitrary, fc.string({ unit: 'binary', maxLength: 16 })),
        fc.oneof(fc.string({ maxLength: 32 }), fc.string({ unit: 'binary', maxLength: 32 })),
        (name, value) => {
          let header: string;
          try {
            header = serializeCookie(name, value, { path: '/', httpOnly: true, sameSite: 'lax' });
          } catch (error) {
            expect(error).toBeInstanceOf(TypeError);
            return;
          }
          // The attributes follow the first ";", as in a Set-Cookie line; the pair is what a browser echoes.
          const pair = header.slice(0, header.indexOf(';'));
          // DQUOTE is not a cookie-octet, so no accepted value is ever read back unquoted.
          expect(parseCookieHeader(pair).get(name)).toBe(value);
          expect(readCookie(`other=1; ${pair}`, name)).toBe(value);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('property: a token name and cookie-octet value always serialize and round-trip', () => {
    const octet = fc.string({
      unit: fc.constantFrom(...Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) => String.fromCharCode(0x21 + i))),
      maxLength: 40,
    });
    fc.assert(
      fc.property(tokenArbitrary, octet, (name, raw) => {
        const value = raw.replace(/["\\;,]/g, '');
        const header = serializeCookie(name, value);
        expect(parseCookieHeader(header).get(name)).toBe(value);
      }),
      { numRuns: 500 },
    );
  });
});

describe('parseCookieHeader', () => {
  it('reads every pair of a browser Cookie header', () => {
    expect(Object.fromEntries(parseCookieHeader('a=1; b=2;c=3'))).toEqual({ a: '1', b: '2', c: '3' });
  });

  it('lets the first occurrence of a name win (most specific path first)', () => {
    expect(parseCookieHeader('spartan=first; spartan=second').get('spartan')).toBe('first');
  });

  it('drops one pair of surrounding DQUOTEs and nothing else', () => {
    const cookies = parseCookieHeader('a="quoted"; b=""; c="; d=x"y"; e="');
    expect(cookies.get('a')).toBe('quoted');
    expect(cookies.get('b')).toBe('');
    expect(cookies.get('c')).toBe('"');
    expect(cookies.get('d')).toBe('x"y"');
    expect(cookies.get('e')).toBe('"');
  });

  it('strips spaces and tabs around names and values, but no other characters', () => {
    const cookies = parseCookieHeader(' \ta \t= \t1 \t;\tb=2 ;c=\n3');
    expect(cookies.get('a')).toBe('1');
    expect(cookies.get('b')).toBe('2');
    expect(cookies.get('c')).toBe('\n3');
  });

  it('keeps "=" inside values (split at the first "=")', () => {
    expect(parseCookieHeader('a=b=c==').get('a')).toBe('b=c==');
  });

  it('keeps names that are suffixes of other names apart', () => {
    const cookies = parseCookieHeader('xspartan=1; spartan=2');
    expect(cookies.get('spartan')).toBe('2');
    expect(cookies.get('xspartan')).toBe('1');
  });

  it.each([[undefined], [''], [';'], [';;;'], ['='], ['=1'], ['  =1'], ['novalue'], ['a'], [' ; ; ']])(
    'yields nothing for an empty or garbage header %j',
    (header) => {
      expect(parseCookieHeader(header).size).toBe(0);
    },
  );

  it('skips malformed pairs and keeps the good ones', () => {
    expect(Object.fromEntries(parseCookieHeader('junk; =x; a=1;; b; c=3'))).toEqual({ a: '1', c: '3' });
  });

  it('treats a non-string header as absent', () => {
    expect(parseCookieHeader(42 as unknown as string).size).toBe(0);
  });

  it('property: never throws on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (header) => {
        parseCookieHeader(header);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('readCookie', () => {
  it('finds a cookie at the start, middle and end of the header', () => {
    const header = 'a=1; spartan=abc; z=9';
    expect(readCookie(header, 'a')).toBe('1');
    expect(readCookie(header, 'spartan')).toBe('abc');
    expect(readCookie(header, 'z')).toBe('9');
  });

  it('never matches a name that is a suffix of another name', () => {
    expect(readCookie('xspartan=1; spartan=2', 'spartan')).toBe('2');
    expect(readCookie('xspartan=1', 'spartan')).toBeUndefined();
    expect(readCookie('__Host-spartan=1', 'spartan')).toBeUndefined();
  });

  it('never matches a name that is a prefix of another name', () => {
    expect(readCookie('spartanx=1; spartan=2', 'spartan')).toBe('2');
    expect(readCookie('spartanx=1', 'spartan')).toBeUndefined();
  });

  it('never matches the name inside another cookie value', () => {
    expect(readCookie('a=spartan=evil; spartan=good', 'spartan')).toBe('good');
    expect(readCookie('a=x spartan=evil', 'spartan')).toBeUndefined();
    expect(readCookie('a= spartan=evil', 'spartan')).toBeUndefined();
  });

  it('lets the first occurrence win', () => {
    expect(readCookie('spartan=first; spartan=second', 'spartan')).toBe('first');
  });

  it('strips quotes and whitespace as the parser does', () => {
    expect(readCookie('spartan="v"', 'spartan')).toBe('v');
    expect(readCookie(' \tspartan \t=\t v \t', 'spartan')).toBe('v');
    expect(readCookie('spartan=', 'spartan')).toBe('');
  });

  it.each([
    [undefined, 'spartan'],
    ['', 'spartan'],
    ['spartan', 'spartan'],
    ['spartan;x=1', 'spartan'],
    ['abc', ''],
    ['a=1', 'a '],
    ['a=1', 'a;'],
    ['a=b=c', 'a=b'],
  ])('finds nothing in %j for the name %j', (header, name) => {
    expect(readCookie(header, name)).toBeUndefined();
  });

  it('treats non-string arguments as absent', () => {
    expect(readCookie(1 as unknown as string, 'a')).toBeUndefined();
    expect(readCookie('a=1', 1 as unknown as string)).toBeUndefined();
  });

  it('property: never throws on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), fc.string({ maxLength: 10 }), (header, name) => {
        readCookie(header, name);
      }),
      { numRuns: 1000 },
    );
  });

  it('property: agrees with parseCookieHeader for every header and name', () => {
    // Headers assembled from fragments that stress the rules: separators, WSP, quotes, and the
    // names themselves (as names, suffixes, and inside values).
    const names = ['spartan', 'xspartan', 'a', 'a b', '__Host-spartan'];
    const fragment = fc.oneof(
      fc.constantFrom(...names, ';', '=', ' ', '\t', '"', '\n', 'x', '1', '; ', '=v'),
      fc.string({ maxLength: 4 }),
    );
    const header = fc.array(fragment, { maxLength: 16 }).map((parts) => parts.join(''));
    const name = fc.oneof(fc.constantFrom(...names, ' spartan', 'spartan ', 'a=', ''), fc.string({ maxLength: 4 }));
    fc.assert(
      fc.property(header, name, (h, n) => {
        expect(readCookie(h, n)).toBe(parseCookieHeader(h).get(n));
      }),
      { numRuns: 3000 },
    );
  });
});
