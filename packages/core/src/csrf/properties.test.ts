import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parsePolicy } from '../policy/policy.js';
import { createCsrfGuard } from './guard.js';
import { checkRequestOrigin, normalizeOrigin } from './origin.js';
import { FakeHolder, fakeRequest, fakeView } from './testing/fakes.js';
import { createCsrfSecret, maskCsrfToken, readSubmittedToken, verifyCsrfToken } from './token.js';

const SECRET = createCsrfSecret();
const BASE64URL_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.split('');

/** Any string, biased towards token-shaped ones (right length, base64url alphabet). */
const tokenLike = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 100 }),
  fc.string({ unit: fc.constantFrom(...BASE64URL_CHARS), minLength: 84, maxLength: 88 }),
  fc.string({ unit: fc.constantFrom(...BASE64URL_CHARS, '=', '+', '/', '.'), minLength: 86, maxLength: 86 }),
);

type Edit = { kind: 'flip' | 'insert'; at: number; char: string } | { kind: 'delete'; at: number };

/** One-character edits of a string: flip (replace), insert, delete. */
const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({
    kind: fc.constant('flip' as const),
    at: fc.nat(),
    char: fc.constantFrom(...BASE64URL_CHARS, '=', '.', ' ', 'é'),
  }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    char: fc.constantFrom(...BASE64URL_CHARS, '=', ' '),
  }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
);

function applyEdit(text: string, change: Edit): string {
  if (change.kind === 'insert') {
    const at = change.at % (text.length + 1);
    return text.slice(0, at) + change.char + text.slice(at);
  }
  const at = change.at % text.length;
  if (change.kind === 'delete') return text.slice(0, at) + text.slice(at + 1);
  return text.slice(0, at) + change.char + text.slice(at + 1);
}

describe('token properties', () => {
  it('token verification never throws on arbitrary strings, and accepts none of them', () => {
    fc.assert(
      fc.property(tokenLike, (token) => {
        expect(verifyCsrfToken(token, SECRET)).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  it('token verification never throws on arbitrary values as token or secret', () => {
    fc.assert(
      fc.property(fc.anything(), fc.string(), (token, secret) => {
        expect(typeof verifyCsrfToken(token, secret)).toBe('boolean');
      }),
    );
  });

  it('a valid token modified by one character (flip, insert, delete) is never accepted', () => {
    fc.assert(
      fc.property(edit, (change) => {
        const token = maskCsrfToken(SECRET);
        const modified = applyEdit(token, change);
        fc.pre(modified !== token);
        expect(verifyCsrfToken(token, SECRET)).toBe(true);
        expect(verifyCsrfToken(modified, SECRET)).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  it('reading the submitted token never throws on arbitrary bodies', () => {
    fc.assert(
      fc.property(fc.anything(), fc.option(fc.string(), { nil: undefined }), (body, header) => {
        const headers: Record<string, string> = header === undefined ? {} : { 'x-csrf-token': header };
        const token = readSubmittedToken(fakeView({ headers, body }), 'x-csrf-token', '_csrf');
        expect(token === undefined || typeof token === 'string').toBe(true);
      }),
    );
  });

  it('the guard never throws anything but a SpartanError on arbitrary submitted tokens', async () => {
    const session = new FakeHolder(SECRET);
    const csrf = createCsrfGuard({ policy: parsePolicy({}), secrets: 'x'.repeat(32), mode: 'synchronizer' });
    await fc.assert(
      fc.asyncProperty(tokenLike, async (token) => {
        await expect(csrf.verify(fakeRequest({ session, headers: { 'x-csrf-token': token } }))).rejects.toMatchObject({
          code: 'sessions/csrf-invalid',
        });
      }),
      { numRuns: 300 },
    );
  });
});

describe('origin check properties', () => {
  const policy = parsePolicy({
    config: { csrf: { trustedOrigins: ['https://partner.example'] }, transport: { trustProxy: true } },
  }).config;
  const headerValue = fc.oneof(
    fc.string({ maxLength: 80 }),
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.constantFrom(
      'null',
      'https://app.example',
      'https://partner.example',
      'same-origin',
      'cross-site',
      'https, http',
      '',
    ),
    fc.webUrl(),
  );
  const maybe = fc.option(headerValue, { nil: undefined });

  it('the origin check never throws on arbitrary header values', () => {
    fc.assert(
      fc.property(
        fc.record({
          'sec-fetch-site': maybe,
          origin: maybe,
          referer: maybe,
          host: maybe,
          'x-forwarded-proto': maybe,
        }),
        fc.boolean(),
        (record, encrypted) => {
          const headers = Object.fromEntries(
            Object.entries(record).filter((entry): entry is [string, string] => entry[1] !== undefined),
          );
          const result = checkRequestOrigin(fakeView({ headers, encrypted }), policy);
          expect(typeof result.ok).toBe('boolean');
          if (!result.ok) expect(typeof result.reason).toBe('string');
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('without Sec-Fetch-Site, an Origin other than the own and the trusted ones never passes', () => {
    fc.assert(
      fc.property(headerValue, (origin) => {
        const normalized = normalizeOrigin(origin);
        fc.pre(normalized !== 'https://app.example' && normalized !== 'https://partner.example');
        const view = fakeView({ headers: { host: 'app.example', origin }, encrypted: true });
        expect(checkRequestOrigin(view, policy).ok).toBe(false);
      }),
      { numRuns: 1000 },
    );
  });

  it('normalizeOrigin is idempotent', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          headerValue,
          fc.webUrl().map((url) => url.split('/').slice(0, 3).join('/')),
        ),
        (value) => {
          const once = normalizeOrigin(value);
          if (once !== null) expect(normalizeOrigin(once)).toBe(once);
        },
      ),
    );
  });
});
