import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import * as iron from 'iron-webcrypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isSpartanError, type SpartanError } from '../errors/errors.js';
import { type PolicyInput, parsePolicy } from '../policy/policy.js';
import { CookiePolicy } from './cookie-policy.js';
import { type CookieToolsOptions, createCookieTools, type MakeCookieParams } from './cookie-tools.js';
import { createSealer } from './sealed.js';
import { insecureView, memoryJar, OLD_SECRET, requestView, SECRET, secureView } from './test-helpers.js';

type Config = NonNullable<PolicyInput['config']>;

function tools(config: Config = {}, secrets: CookieToolsOptions['secrets'] = SECRET) {
  return createCookieTools({ policy: parsePolicy({ config }), secrets });
}

async function rejection(promise: Promise<unknown>): Promise<SpartanError> {
  try {
    await promise;
  } catch (error) {
    return error as SpartanError;
  }
  throw new Error('expected a rejection');
}

function caught(fn: () => unknown): SpartanError {
  try {
    fn();
  } catch (error) {
    return error as SpartanError;
  }
  throw new Error('expected a throw');
}

/** The value a browser would send back for the Set-Cookie line `header`. */
function echo(header: string): string {
  return header.slice(0, header.indexOf(';'));
}

afterEach(() => {
  vi.useRealTimers();
  // The spies on globalThis.crypto.subtle (iron-webcrypto 2 always uses the global WebCrypto).
  vi.restoreAllMocks();
});

describe('setup', () => {
  it('validates the secrets at factory time', () => {
    expect(() => createCookieTools({ policy: parsePolicy(), secrets: [] })).toThrowError(
      expect.objectContaining({ code: 'sessions/missing-secret' }),
    );
    expect(() => createCookieTools({ policy: parsePolicy(), secrets: 'short' })).toThrowError(
      expect.objectContaining({ code: 'sessions/weak-secret' }),
    );
  });

  it('accepts a parsed policy or a CookiePolicy built from one', () => {
    const cookiePolicy = new CookiePolicy(parsePolicy());
    expect(createCookieTools({ policy: cookiePolicy, secrets: [SECRET] }).cookiePolicy).toBe(cookiePolicy);
    expect(tools().cookiePolicy).toBeInstanceOf(CookiePolicy);
  });
});

describe('make (cookieMaker)', () => {
  it('sets the cookie under its prefixed name with the policy attributes', async () => {
    const jar = memoryJar();
    const made = await tools().make(secureView(), jar, { name: 'theme', value: 'dark' });
    expect(made).toEqual({
      name: '__Host-theme',
      value: 'dark',
      attributes: { path: '/', httpOnly: true, secure: true, sameSite: 'lax' },
      header: '__Host-theme=dark; Path=/; HttpOnly; Secure; SameSite=Lax',
    });
    expect(jar.setCookies.get('__Host-theme')).toBe(made.header);
  });

  it('under auto, a cookie with its own path keeps it (__Secure-), cookieMonster clears it and the reader finds it', async () => {
    const jar = memoryJar();
    const cookieTools = tools();
    const made = await cookieTools.make(secureView(), jar, { name: 'subc', value: '1', options: { path: '/sub' } });
    expect(made.header).toBe('__Secure-subc=1; Path=/sub; HttpOnly; Secure; SameSite=Lax');
    const cleared = cookieTools.clear(jar, { name: 'subc', options: { path: '/sub' } });
    expect(cleared.name).toBe('__Secure-subc');
    expect(cleared.header).toMatch(/^__Secure-subc=; Max-Age=0; Path=\/sub;/);
    const sealed = await cookieTools.make(secureView(), jar, {
      name: 'cart',
      value: { items: 2 },
      options: { path: '/shop', sealed: true },
    });
    const reader = cookieTools.reader(memoryJar(`__Secure-subc=1; ${sealed.name}=${sealed.value}`));
    expect(reader.get('subc')).toBe('1');
    expect(await reader.sealed('cart')).toEqual({ items: 2 });
  });

  it('the policy overrides the caller httpOnly/secure/sameSite; maxAge is in seconds', async () => {
    const jar = memoryJar();
    const made = await tools({ cookies: { sameSite: 'strict' } }).make(secureView(), jar, {
      name: 'theme',
      value: 'dark',
      options: { httpOnly: false, secure: false, sameSite: 'none', maxAge: 3600, priority: 'low' },
    });
    expect(made.header).toBe(
      '__Host-theme=dark; Max-Age=3600; Path=/; HttpOnly; Secure; Priority=Low; SameSite=Strict',
    );
  });

  it('percent-encodes a string value only where needed, and reader.get decodes it', async () => {
    const t = tools();
    const jar = memoryJar();
    const made = await t.make(secureView(), jar, { name: 'note', value: 'héllo; world 100%' });
    expect(made.value).toBe('h%C3%A9llo%3B%20world%20100%25');
    expect(t.reader(memoryJar(echo(made.header))).get('note')).toBe('héllo; world 100%');
    expect((await t.make(secureView(), jar, { name: 'id', value: 'abc-_.~' })).value).toBe('abc-_.~');
  });

  it('writes finite numbers and booleans as strings', async () => {
    const t = tools();
    expect((await t.make(secureView(), memoryJar(), { name: 'n', value: 0 })).value).toBe('0');
    expect((await t.make(secureView(), memoryJar(), { name: 'n', value: 1.5 })).value).toBe('1.5');
    expect((await t.make(secureView(), memoryJar(), { name: 'b', value: false })).value).toBe('false');
  });

  it.each<[string, unknown]>([
    ['an object', { a: 1 }],
    ['an array', [1]],
    ['NaN', Number.NaN],
    ['a bigint', 1n],
    ['a function', () => 1],
    ['a lone surrogate', 'a\uD800'],
  ])('rejects %s as a plain value with sessions/option-type-incorrect', async (_label, value) => {
    const error = await rejection(tools().make(secureView(), memoryJar(), { name: 'x', value }));
    expect(isSpartanError(error, 'sessions/option-type-incorrect')).toBe(true);
    expect(error.details).toEqual({ param: 'value' });
  });

  it.each<[string, unknown]>([
    ['no params', undefined],
    ['null params', null],
    ['no name', { value: 'v' }],
    ['a null name', { name: null, value: 'v' }],
    ['an empty name', { name: '', value: 'v' }],
    ['a non-string name', { name: 42, value: 'v' }],
    ['no value', { name: 'x' }],
    ['a null value', { name: 'x', value: null }],
    ['an empty value', { name: 'x', value: '' }],
    ['an empty sealed value', { name: 'x', value: '', options: { sealed: true } }],
  ])('rejects %s with session/missing-params', async (_label, params) => {
    const jar = memoryJar();
    const error = await rejection(tools().make(secureView(), jar, params as MakeCookieParams));
    expect(isSpartanError(error, 'session/missing-params')).toBe(true);
    expect(jar.setCookies.size).toBe(0);
  });

  it.each([['a;b'], ['a\r\nb'], ['a b'], ['a,b'], ['a=b'], ['é'], ['(a)']])(
    'rejects the name %j (not an RFC 6265 token) with sessions/option-type-incorrect, and sets nothing',
    async (name) => {
      const jar = memoryJar();
      const error = await rejection(tools().make(secureView(), jar, { name, value: 'v' }));
      expect(isSpartanError(error, 'sessions/option-type-incorrect')).toBe(true);
      expect(error.details).toEqual({ param: 'name' });
      expect(error.message).toContain('RFC 6265 token');
      expect(jar.setCookies.size).toBe(0);
    },
  );

  it('rejects a Secure cookie over an insecure connection and sets nothing', async () => {
    const jar = memoryJar();
    const error = await rejection(tools().make(insecureView(), jar, { name: 'theme', value: 'dark' }));
    expect(isSpartanError(error, 'session/insecure-connection')).toBe(true);
    expect(error.details).toEqual({ name: '__Host-theme' });
    expect(jar.setCookies.size).toBe(0);
  });

  it('allows a Secure cookie on http://localhost with localhostIsSecure and behind a trusted proxy', async () => {
    const localhost = requestView({ headers: { host: 'localhost:3000' } });
    await expect(tools().make(localhost, memoryJar(), { name: 'a', value: 'b' })).resolves.toBeDefined();
    const proxied = requestView({ headers: { host: 'example.com', 'x-forwarded-proto': 'https' } });
    await expect(
      tools({ transport: { trustProxy: true } }).make(proxied, memoryJar(), { name: 'a', value: 'b' }),
    ).resolves.toBeDefined();
  });

  it('allows a non-Secure cookie over plain http when the policy says so', async () => {
    const made = await tools({ cookies: { secure: false } }).make(insecureView(), memoryJar(), {
      name: 'a',
      value: 'b',
    });
    expect(made.header).toBe('a=b; Path=/; HttpOnly; SameSite=Lax');
  });

  it('rejects a cookie over 4096 bytes and sets nothing', async () => {
    const jar = memoryJar();
    const t = tools();
    const overhead = '__Host-big=; Path=/; HttpOnly; Secure; SameSite=Lax'.length;
    await expect(t.make(secureView(), jar, { name: 'big', value: 'a'.repeat(4096 - overhead) })).resolves.toMatchObject(
      {
        name: '__Host-big',
      },
    );
    jar.setCookies.clear();
    const error = await rejection(t.make(secureView(), jar, { name: 'big', value: 'a'.repeat(4097 - overhead) }));
    expect(error.code).toBe('sessions/cookie-too-large');
    expect(error.details).toEqual({ name: '__Host-big', bytes: 4097, limit: 4096 });
    expect(jar.setCookies.size).toBe(0);
  });

  it('rejects a sealed value that would exceed 4096 bytes', async () => {
    const error = await rejection(
      tools().make(secureView(), memoryJar(), { name: 'big', value: 'a'.repeat(3000), options: { sealed: true } }),
    );
    expect(error.code).toBe('sessions/cookie-too-large');
  });

  describe('path and domain (issue 12, item 9)', () => {
    const badDomains = [
      'a b,c',
      'example.com, evil.com',
      'example.com;Secure',
      'example.com:8080',
      'example.com.',
      'exa_mple.com',
      '-example.com',
      'example-.com',
      'a..b',
      '..example.com',
      '.',
      ' example.com',
      'example.com\t',
      'exa\u0000mple.com',
      'exämple.com',
      '[::1]',
      `${'a'.repeat(64)}.com`,
      `${'a.'.repeat(127)}com`,
    ];
    const badPaths = ['/a b', '/a,b', '/a;b', 'app', '', ' /', '/a\tb', '/a\u007f', '/é', `/${'a'.repeat(1024)}`];

    // Under a domain policy there is no prefix, so path and domain would reach the header.
    for (const config of [{}, { domain: 'example.com' }]) {
      it.each(badDomains)(
        `refuses domain %j (policy ${JSON.stringify(config)}) with { option: 'domain' }`,
        async (domain) => {
          const jar = memoryJar();
          const error = await rejection(
            tools(config).make(secureView(), jar, { name: 'x', value: 'v', options: { domain } }),
          );
          expect(isSpartanError(error, 'sessions/option-type-incorrect')).toBe(true);
          expect(error.details).toEqual({ option: 'domain' });
          expect(error.message).toContain('host name');
          expect(jar.setCookies.size).toBe(0);
          const cleared = caught(() => tools(config).clear(jar, { name: 'x', options: { domain } }));
          expect(cleared.details).toEqual({ option: 'domain' });
          expect(jar.setCookies.size).toBe(0);
        },
      );

      it.each(badPaths)(`refuses path %j (policy ${JSON.stringify(config)}) with { option: 'path' }`, async (path) => {
        const jar = memoryJar();
        const error = await rejection(
          tools(config).make(secureView(), jar, { name: 'x', value: 'v', options: { path } }),
        );
        expect(isSpartanError(error, 'sessions/option-type-incorrect')).toBe(true);
        expect(error.details).toEqual({ option: 'path' });
        expect(error.message).toContain('starting with "/"');
        expect(jar.setCookies.size).toBe(0);
        const cleared = caught(() => tools(config).clear(jar, { name: 'x', options: { path } }));
        expect(cleared.details).toEqual({ option: 'path' });
        expect(jar.setCookies.size).toBe(0);
      });
    }

    it('accepts host names, a leading dot, IPv4 addresses and paths of printable ASCII', async () => {
      const t = tools({ domain: 'example.com' });
      for (const [domain, path] of [
        ['example.com', '/'],
        ['.example.com', '/app/v1'],
        ['Sub-1.Example.CO.uk', '/a%20b'],
        ['localhost', '/~user/"x"'],
        ['127.0.0.1', '/a=b&c?d#e'],
        [`${'a'.repeat(63)}.com`, `/${'a'.repeat(1023)}`],
      ] as const) {
        const made = await t.make(secureView(), memoryJar(), { name: 'x', value: 'v', options: { domain, path } });
        expect(made.header).toContain(`; Domain=${domain}; Path=${path};`);
        expect(t.clear(memoryJar(), { name: 'x', options: { domain, path } }).header).toContain(
          `; Domain=${domain}; Path=${path};`,
        );
      }
    });
  });

  it('rejects an option of the wrong type', async () => {
    const error = await rejection(
      tools().make(secureView(), memoryJar(), {
        name: 'a',
        value: 'b',
        options: { sealed: 'yes' as unknown as boolean },
      }),
    );
    expect(isSpartanError(error, 'sessions/option-type-incorrect')).toBe(true);
  });
});

describe('sealed cookies', () => {
  it('round-trip any JSON value', async () => {
    const t = tools();
    for (const value of [{ cart: [1, 2], user: { id: 'u1' } }, 'text; with spaces', 0, false, [null]]) {
      const made = await t.make(secureView(), memoryJar(), { name: 'data', value, options: { sealed: true } });
      expect(made.value.startsWith('Fe26.2*')).toBe(true);
      expect(made.header.startsWith(`__Host-data=${made.value}; Path=/`)).toBe(true);
      expect(await t.reader(memoryJar(echo(made.header))).sealed('data')).toEqual(value);
    }
  });

  it('reader.get returns the sealed string itself, not its content', async () => {
    const t = tools();
    const made = await t.make(secureView(), memoryJar(), { name: 'data', value: 'secret', options: { sealed: true } });
    expect(t.reader(memoryJar(echo(made.header))).get('data')).toBe(made.value);
  });

  it('a tampered seal reads as null', async () => {
    const t = tools();
    const made = await t.make(secureView(), memoryJar(), {
      name: 'data',
      value: { admin: false },
      options: { sealed: true },
    });
    const flipped = made.value.slice(0, -1) + (made.value.endsWith('A') ? 'B' : 'A');
    expect(await t.reader(memoryJar(`__Host-data=${flipped}`)).sealed('data')).toBeNull();
  });

  it('a seal made with another secret reads as null', async () => {
    const made = await tools({}, 'x'.repeat(32)).make(secureView(), memoryJar(), {
      name: 'data',
      value: 1,
      options: { sealed: true },
    });
    expect(
      await tools()
        .reader(memoryJar(echo(made.header)))
        .sealed('data'),
    ).toBeNull();
  });

  it('secret rotation: a seal made with the old first secret still reads after rotation to [new, old]', async () => {
    const before = tools({}, [OLD_SECRET]);
    const made = await before.make(secureView(), memoryJar(), {
      name: 'data',
      value: { n: 1 },
      options: { sealed: true },
    });
    const after = tools({}, [SECRET, OLD_SECRET]);
    expect(await after.reader(memoryJar(echo(made.header))).sealed('data')).toEqual({ n: 1 });
    // New seals use the new first secret: the old secret alone cannot read them.
    const fresh = await after.make(secureView(), memoryJar(), {
      name: 'data',
      value: { n: 2 },
      options: { sealed: true },
    });
    expect(await before.reader(memoryJar(echo(fresh.header))).sealed('data')).toBeNull();
    expect(
      await tools({}, [SECRET])
        .reader(memoryJar(echo(fresh.header)))
        .sealed('data'),
    ).toEqual({ n: 2 });
  });

  it('an expired seal (ttl = maxAge) reads as null', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.UTC(2030, 0, 1));
    const t = tools();
    const made = await t.make(secureView(), memoryJar(), {
      name: 'data',
      value: 'v',
      options: { sealed: true, maxAge: 60 },
    });
    const reader = t.reader(memoryJar(echo(made.header)));
    vi.setSystemTime(Date.UTC(2030, 0, 1, 0, 0, 59));
    expect(await reader.sealed('data')).toBe('v');
    // iron allows 60 s of clock skew past the expiry.
    vi.setSystemTime(Date.UTC(2030, 0, 1, 0, 2, 1));
    expect(await reader.sealed('data')).toBeNull();
  });

  it('a seal without maxAge does not expire', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.UTC(2030, 0, 1));
    const t = tools();
    const made = await t.make(secureView(), memoryJar(), { name: 'data', value: 'v', options: { sealed: true } });
    vi.setSystemTime(Date.UTC(2040, 0, 1));
    expect(await t.reader(memoryJar(echo(made.header))).sealed('data')).toBe('v');
  });

  it.each<[string, unknown]>([
    ['a bigint', 1n],
    [
      'a cycle',
      (() => {
        const cycle: Record<string, unknown> = {};
        cycle.self = cycle;
        return cycle;
      })(),
    ],
    ['a function', () => 1],
    ['a symbol', Symbol('x')],
  ])('rejects %s as a sealed value with sessions/option-type-incorrect', async (_label, value) => {
    const error = await rejection(
      tools().make(secureView(), memoryJar(), { name: 'x', value, options: { sealed: true } }),
    );
    expect(isSpartanError(error, 'sessions/option-type-incorrect')).toBe(true);
  });

  class Point {
    constructor(
      readonly x: number,
      readonly y: number,
    ) {}
  }

  // iron-webcrypto 1 sealed whatever JSON.stringify made of these (a Date as a string, a Map as
  // {}, NaN as null, a Point as a plain object): the reader got something else, silently.
  it.each<[string, unknown, string]>([
    ['a Date', new Date(Date.UTC(2030, 0, 1)), 'an instance of Date'],
    ['a Map', new Map([['a', 1]]), 'an instance of Map'],
    ['NaN', Number.NaN, 'NaN'],
    ['a class instance', new Point(1, 2), 'an instance of Point'],
    ['Infinity in an object', { limit: Number.POSITIVE_INFINITY }, 'Infinity'],
    ['a Date deep in an object', { user: { seen: [new Date(0)] } }, 'an instance of Date'],
    ['a Set', new Set([1]), 'an instance of Set'],
    // biome-ignore lint/suspicious/noSparseArray: the hole is what is tested
    ['an array hole', [1, , 3], 'a hole'],
    ['undefined in an array', [undefined], 'a hole'],
  ])(
    'rejects %s as a sealed value (it would not come back as it is), naming what, not the value',
    async (_label, value, what) => {
      const jar = memoryJar();
      const error = await rejection(
        tools().make(secureView(), jar, { name: 'prefs', value, options: { sealed: true } }),
      );
      expect(isSpartanError(error, 'sessions/option-type-incorrect')).toBe(true);
      expect(error.details).toEqual({ param: 'value', reason: 'not-serializable' });
      expect(error.message).toContain('"__Host-prefs"');
      expect(error.message).toContain(what);
      expect(error.message).not.toContain('2030');
      expect(error.cause).toBeUndefined();
      // Nothing is set on a refusal.
      expect(jar.setCookies.size).toBe(0);
    },
  );

  it('accepts what JSON gives back as it is: plain and null-prototype objects, undefined properties (read as absent), shared references', async () => {
    const t = tools();
    const shared = { id: 1 };
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { a: 1 });
    for (const [value, expected] of [
      [bare, { a: 1 }],
      [{ a: 1, gone: undefined }, { a: 1 }],
      [
        { left: shared, right: shared },
        { left: { id: 1 }, right: { id: 1 } },
      ],
      [-0, 0],
    ] as const) {
      const made = await t.make(secureView(), memoryJar(), { name: 'data', value, options: { sealed: true } });
      expect(await t.reader(memoryJar(echo(made.header))).sealed('data')).toEqual(expected);
    }
  });

  it('passes on a WebCrypto failure as it is (not a caller error): in key derivation and in iron', async () => {
    const broken = new Error('subtle exploded');
    const webCrypto = {
      getRandomValues: globalThis.crypto.getRandomValues.bind(globalThis.crypto),
      subtle: new Proxy(globalThis.crypto.subtle, {
        get: () => () => Promise.reject(broken),
      }),
    } as unknown as Crypto;
    const t = createCookieTools({ policy: parsePolicy(), secrets: SECRET, webCrypto });
    await expect(t.make(secureView(), memoryJar(), { name: 'x', value: 'v', options: { sealed: true } })).rejects.toBe(
      broken,
    );
    // iron-webcrypto 2 seals on globalThis.crypto, whatever webCrypto the tools were given.
    vi.spyOn(globalThis.crypto.subtle, 'encrypt').mockRejectedValue(broken);
    await expect(
      tools().make(secureView(), memoryJar(), { name: 'x', value: 'v', options: { sealed: true } }),
    ).rejects.toBe(broken);
  });

  it('does not seal (no WebCrypto work) when the connection is insecure', async () => {
    const subtle = vi.fn();
    const webCrypto = { getRandomValues: vi.fn(), subtle: new Proxy({}, { get: subtle }) } as unknown as Crypto;
    const t = createCookieTools({ policy: parsePolicy(), secrets: SECRET, webCrypto });
    // iron runs on globalThis.crypto: its key derivation starts with an importKey.
    const ironImportKey = vi.spyOn(globalThis.crypto.subtle, 'importKey');
    await expect(
      t.make(insecureView(), memoryJar(), { name: 'x', value: 'v', options: { sealed: true } }),
    ).rejects.toMatchObject({ code: 'session/insecure-connection' });
    expect(subtle).not.toHaveBeenCalled();
    expect(ironImportKey).not.toHaveBeenCalled();
    // The spy sees iron's work when there is some.
    await tools().make(secureView(), memoryJar(), { name: 'x', value: 'v', options: { sealed: true } });
    expect(ironImportKey).toHaveBeenCalled();
  });

  it('property: reader.sealed never throws on arbitrary cookie values', async () => {
    const t = tools();
    const value = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 120 }),
      fc
        .array(fc.string({ maxLength: 12 }), { minLength: 1, maxLength: 9 })
        .map((parts) => `Fe26.2*${parts.join('*')}`),
    );
    await fc.assert(
      fc.asyncProperty(value, async (raw) => {
        const jar = { get: () => raw, setCookie: () => {}, setHeader: () => {} };
        expect(await t.reader(jar).sealed('data')).toBeNull();
      }),
      { numRuns: 200 },
    );
  });

  it('property: changing any one character of a valid seal makes it unreadable', async () => {
    const t = tools({}, [SECRET, OLD_SECRET]);
    const made = await t.make(secureView(), memoryJar(), {
      name: 'data',
      value: { role: 'user' },
      options: { sealed: true, maxAge: 3600 },
    });
    const seal = made.value;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_*.~';
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: seal.length - 1 }), fc.constantFrom(...alphabet), async (index, replacement) => {
        fc.pre(seal[index] !== replacement);
        const forged = seal.slice(0, index) + replacement + seal.slice(index + 1);
        const jar = { get: () => forged, setCookie: () => {}, setHeader: () => {} };
        expect(await t.reader(jar).sealed('data')).toBeNull();
      }),
      { numRuns: 200 },
    );
  });
});

describe('createSealer', () => {
  it('opens a seal only in the spelling it was made in: unused low bits of a base64url part set read as null', async () => {
    const sealer = createSealer({ secrets: [SECRET], purpose: 'sealed-cookie' });
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    let tried = 0;
    for (let round = 0; round < 8; round++) {
      const sealed = await sealer.seal('x', { round });
      expect(sealed).not.toContain('=');
      const parts = sealed.split('*');
      // The iv (3), the ciphertext (4) and the MAC (7) are base64url of bytes.
      for (const index of [3, 4, 7]) {
        const part = parts[index]!;
        const unused = part.length % 4 === 2 ? 0b1111 : part.length % 4 === 3 ? 0b11 : 0;
        if (unused === 0) continue;
        // The same bytes in another spelling: one unused bit of the last character set.
        const last = alphabet.indexOf(part.at(-1)!);
        const respelled = part.slice(0, -1) + alphabet[last | 1];
        const forged = [...parts.slice(0, index), respelled, ...parts.slice(index + 1)].join('*');
        expect(forged).not.toBe(sealed);
        expect(await sealer.unseal('x', forged)).toBeNull();
        tried++;
      }
      expect(await sealer.unseal('x', sealed)).toEqual({ round });
    }
    // A 16-byte iv and a 32-byte MAC always leave unused bits (22 and 43 characters).
    expect(tried).toBeGreaterThanOrEqual(16);
  });

  it('refuses empty, oversized, non-iron and non-string input without trying to unseal', async () => {
    const sealer = createSealer({ secrets: [SECRET], purpose: 'sealed-cookie' });
    expect(await sealer.unseal('x', '')).toBeNull();
    expect(await sealer.unseal('x', `Fe26.2*${'a'.repeat(4096)}`)).toBeNull();
    expect(await sealer.unseal('x', 'Fe26.1**a*b*c**d*e')).toBeNull();
    expect(await sealer.unseal('x', 42 as unknown as string)).toBeNull();
    const sealed = await sealer.seal('x', 1);
    expect(await sealer.unseal('x', sealed)).toBe(1);
    expect(await sealer.unseal('', sealed)).toBeNull();
    expect(await sealer.unseal(undefined as unknown as string, sealed)).toBeNull();
  });

  it('binds a value to its purpose and name: only the same purpose and name open it', async () => {
    const cookies = createSealer({ secrets: [SECRET], purpose: 'sealed-cookie' });
    const csrf = createSealer({ secrets: [SECRET], purpose: 'csrf-cookie' });
    const sealed = await cookies.seal('__Host-prefs', { lang: 'fr' });
    expect(await cookies.unseal('__Host-prefs', sealed)).toEqual({ lang: 'fr' });
    expect(await cookies.unseal('__Host-role', sealed)).toBeNull();
    expect(await cookies.unseal('__host-prefs', sealed)).toBeNull();
    expect(await csrf.unseal('__Host-prefs', sealed)).toBeNull();
    const csrfSealed = await csrf.seal('__Host-prefs', { lang: 'fr' });
    expect(await cookies.unseal('__Host-prefs', csrfSealed)).toBeNull();
  });

  it('a value sealed before purpose keys (the secret as the iron password, no envelope) reads as null', async () => {
    const legacy = await iron.seal({ lang: 'fr' }, SECRET, iron.defaults);
    const sealer = createSealer({ secrets: [SECRET], purpose: 'sealed-cookie' });
    expect(await sealer.unseal('__Host-prefs', legacy)).toBeNull();
    const reader = tools().reader(memoryJar(`__Host-prefs=${legacy}`));
    expect(await reader.sealed('prefs')).toBeNull();
  });

  it('the key of a purpose seals, not the secret: the secret as an iron password cannot open it', async () => {
    const sealed = await createSealer({ secrets: [SECRET], purpose: 'sealed-cookie' }).seal('n', 1);
    await expect(iron.unseal(sealed, SECRET, iron.defaults)).rejects.toThrow();
    const key = createHmac('sha256', SECRET).update('spartan-sessions/v1/sealed-cookie').digest('base64url');
    expect(await iron.unseal(sealed, key, iron.defaults)).toEqual({
      p: 'sealed-cookie',
      n: 'n',
      d: 1,
    });
  });

  it('opens a value sealed by the previous release (iron-webcrypto 1.2.1): rolling deploys keep their cookies', async () => {
    // Made once with iron-webcrypto 1.2.1 (the copy in the pnpm store) by a throwaway script,
    // exactly as sealed.ts sealed on that release:
    //   key = createHmac('sha256', SECRET).update('spartan-sessions/v1/sealed-cookie').digest('base64url')
    //   iron.seal(webcrypto, { p: 'sealed-cookie', n: '__Host-prefs', d: value }, key, { ...iron.defaults, ttl: 0 })
    // Never regenerate it with the current iron: the point is a string the old release wrote.
    const value = { lang: 'fr', cart: [1, 2], note: 'sealed by 1.2.1' };
    const sealedByV1 =
      'Fe26.2**b6748c03dab27ad7c122908d97372045183337e3fc5eb7dc51d542a7bf29e176*dFwHRfLk5XHko3vhobLt-w*' +
      'V4v4rV_sG7Q2rtXOipGpOaLJPdX8_Pi2-IOmR-Bsj6GIqNaVTn0xQPein0ZOV8aJPXm7viMrvvfsqTkvqQbLsC0cZyo_dwsmf' +
      'BFVwt4qrQG1BoIN4Co_LPV5s4A0J1uVys8opJ4UkDFAGmPSx45dYw**' +
      'b30f4d0f1b68fd45da94fe79940559071add3043a07dab2da9e47f1540f33ac1*KZ7f-xvj9bpxuz3U7jBPyi_ALDp07AWhoTT1xdK5Hug';
    const sealer = createSealer({ secrets: [SECRET], purpose: 'sealed-cookie' });
    expect(await sealer.unseal('__Host-prefs', sealedByV1)).toEqual(value);
    // Through cookieReader, and after a rotation that keeps the old secret among those that unseal.
    expect(
      await tools()
        .reader(memoryJar(`__Host-prefs=${sealedByV1}`))
        .sealed('prefs'),
    ).toEqual(value);
    expect(
      await tools({}, [OLD_SECRET, SECRET])
        .reader(memoryJar(`__Host-prefs=${sealedByV1}`))
        .sealed('prefs'),
    ).toEqual(value);
    // Still bound to its name and purpose.
    expect(await sealer.unseal('__Host-role', sealedByV1)).toBeNull();
    expect(
      await createSealer({ secrets: [SECRET], purpose: 'csrf-cookie' }).unseal('__Host-prefs', sealedByV1),
    ).toBeNull();
  });

  it('refuses, with a SpartanError and no WebCrypto work, a value JSON would not give back', async () => {
    const sealer = createSealer({ secrets: [SECRET], purpose: 'sealed-cookie' });
    const importKey = vi.spyOn(globalThis.crypto.subtle, 'importKey');
    await expect(sealer.seal('when', new Date())).rejects.toMatchObject({
      code: 'sessions/option-type-incorrect',
      details: { param: 'value', reason: 'not-serializable' },
    });
    await expect(sealer.seal('nothing', undefined)).rejects.toMatchObject({ code: 'sessions/option-type-incorrect' });
    expect(importKey).not.toHaveBeenCalled();
  });
});

describe('clear (cookieMonster)', () => {
  it('expires the cookie under its prefixed name: Max-Age=0 and Expires in 1970', () => {
    const jar = memoryJar();
    const cleared = tools().clear(jar, { name: 'theme' });
    expect(cleared).toEqual({
      name: '__Host-theme',
      header: '__Host-theme=; Max-Age=0; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=Lax',
    });
    expect(jar.setCookies.get('__Host-theme')).toBe(cleared.header);
  });

  it('matches the path and domain the cookie was set with, ignoring expiry options', () => {
    const jar = memoryJar();
    tools({ domain: 'example.com' }).clear(jar, {
      name: 'theme',
      options: { path: '/app', maxAge: 3600, expires: Date.UTC(2040, 0, 1), partitioned: true },
    });
    expect(jar.setCookies.get('theme')).toBe(
      'theme=; Max-Age=0; Domain=example.com; Path=/app; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; Partitioned; SameSite=Lax',
    );
  });

  it('rejects a name that is not an RFC 6265 token with sessions/option-type-incorrect', () => {
    const jar = memoryJar();
    const error = caught(() => tools().clear(jar, { name: 'a b' }));
    expect(isSpartanError(error, 'sessions/option-type-incorrect')).toBe(true);
    expect(error.details).toEqual({ param: 'name' });
    expect(jar.setCookies.size).toBe(0);
  });

  it.each<[string, unknown]>([
    ['no params', undefined],
    ['null params', null],
    ['no name', {}],
    ['an empty name', { name: '' }],
    ['a non-string name', { name: ['theme'] }],
  ])('rejects %s with session/missing-params', (_label, params) => {
    const jar = memoryJar();
    const error = caught(() => tools().clear(jar, params as { name?: unknown }));
    expect(isSpartanError(error, 'session/missing-params')).toBe(true);
    expect(jar.setCookies.size).toBe(0);
  });
});

describe('reader (cookieReader)', () => {
  it('reads a cookie under its policy (prefixed) name', () => {
    const reader = tools().reader(memoryJar('theme=unprefixed; __Host-theme=dark'));
    expect(reader.get('theme')).toBe('dark');
    expect(reader.get('__Host-theme')).toBe('dark');
    expect(reader.get('missing')).toBeUndefined();
  });

  it('reads unprefixed names when the policy adds no prefix', () => {
    expect(tools({ domain: 'example.com' }).reader(memoryJar('theme=dark')).get('theme')).toBe('dark');
  });

  it('never throws on bad input: malformed escapes, absent cookies, non-string names', async () => {
    const reader = tools().reader(memoryJar('__Host-a=%E0%A4%A; __Host-b=%ZZ; __Host-c=not-a-seal'));
    expect(reader.get('a')).toBe('%E0%A4%A');
    expect(reader.get('b')).toBe('%ZZ');
    expect(reader.get('')).toBeUndefined();
    expect(reader.get(42 as unknown as string)).toBeUndefined();
    expect(await reader.sealed('c')).toBeNull();
    expect(await reader.sealed('missing')).toBeNull();
    expect(await reader.sealed(undefined as unknown as string)).toBeNull();
  });
});
