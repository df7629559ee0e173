import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SessionCrypto } from '../crypto/crypto.js';
import { webCrypto } from '../crypto/crypto.js';
import { base64urlDecode, base64urlEncode } from '../crypto/encoding.js';
import { randomPool } from '../crypto/random-pool.js';
import { nodeCrypto } from '../node/index.js';
import { fakeView } from './testing/fakes.js';
import { createCsrfSecret, isCsrfSecret, maskCsrfToken, readSubmittedToken, verifyCsrfToken } from './token.js';

const BASE64URL = /^[A-Za-z0-9_-]+$/;

describe('CSRF secrets', () => {
  it('a secret is 32 random bytes in base64url (43 characters), different every time', () => {
    const a = createCsrfSecret();
    const b = createCsrfSecret(webCrypto());
    expect(a).toMatch(BASE64URL);
    expect(a).toHaveLength(43);
    expect(a).not.toBe(b);
    expect(isCsrfSecret(a)).toBe(true);
  });

  it.each([
    ['not a string', 42],
    ['null', null],
    ['too short', 'a'.repeat(42)],
    ['too long', 'a'.repeat(44)],
    ['outside the alphabet', `${'a'.repeat(42)}+`],
    ['non-canonical trailing bits', `${'A'.repeat(42)}B`],
  ])('a value that is %s is not a secret', (_label, value) => {
    expect(isCsrfSecret(value)).toBe(false);
  });
});

describe('masked tokens (BREACH)', () => {
  const secret = createCsrfSecret();

  it('two tokens for the same secret differ and both verify', () => {
    const first = maskCsrfToken(secret);
    const second = maskCsrfToken(secret);
    expect(first).not.toBe(second);
    expect(verifyCsrfToken(first, secret)).toBe(true);
    expect(verifyCsrfToken(second, secret)).toBe(true);
  });

  it('a token is mask ‖ (mask XOR secret): 86 base64url characters that do not contain the secret', () => {
    const token = maskCsrfToken(secret);
    expect(token).toHaveLength(86);
    expect(token).toMatch(BASE64URL);
    expect(token).not.toContain(secret);
  });

  it('the mask comes from the injected CSPRNG: a zero mask exposes the XOR layout', () => {
    const zeros: SessionCrypto = { ...webCrypto(), randomBytes: (length) => new Uint8Array(length) };
    const allOnes = `${'_'.repeat(42)}8`; // base64url of 32 bytes of 0xff
    expect(isCsrfSecret(allOnes)).toBe(true);
    const token = maskCsrfToken(allOnes, zeros);
    // 32 zero bytes of mask, then 0 XOR 0xff = 0xff: the secret shows through.
    expect(token).toBe(`${'A'.repeat(42)}D${'_'.repeat(42)}w`);
    expect(verifyCsrfToken(token, allOnes)).toBe(true);
  });

  it('a token for another secret fails', () => {
    expect(verifyCsrfToken(maskCsrfToken(createCsrfSecret()), secret)).toBe(false);
  });

  it('a modified token fails', () => {
    const token = maskCsrfToken(secret);
    for (const index of [0, 20, 42, 43, 60, 85]) {
      const original = token[index]!;
      const replacement = original === 'A' ? 'B' : 'A';
      const modified = token.slice(0, index) + replacement + token.slice(index + 1);
      expect(verifyCsrfToken(modified, secret), `changed at ${index}`).toBe(false);
    }
    expect(verifyCsrfToken(`${token}A`, secret)).toBe(false);
    expect(verifyCsrfToken(token.slice(1), secret)).toBe(false);
  });

  it('the raw secret is not accepted as a token', () => {
    expect(verifyCsrfToken(secret, secret)).toBe(false);
  });

  it('verification refuses a malformed secret instead of throwing', () => {
    expect(verifyCsrfToken(maskCsrfToken(secret), 'not a secret')).toBe(false);
  });

  it.each([
    ['undefined', undefined],
    ['a number', 86],
    ['an array', ['x']],
    ['empty', ''],
    ['the right length outside the alphabet', '+'.repeat(86)],
    ['the right length with padding', `${'A'.repeat(84)}==`],
  ])('a submitted token that is %s fails without throwing', (_label, token) => {
    expect(verifyCsrfToken(token, secret)).toBe(false);
  });

  it('masking a malformed secret is a programming error (TypeError)', () => {
    expect(() => maskCsrfToken('short')).toThrow(TypeError);
  });

  it('a CSPRNG returning the wrong number of bytes is refused', () => {
    const broken: SessionCrypto = { ...webCrypto(), randomBytes: () => new Uint8Array(4) };
    expect(() => maskCsrfToken(secret, broken)).toThrow(TypeError);
  });
});

describe('reading the submitted token', () => {
  const read = (init: Parameters<typeof fakeView>[0]) => readSubmittedToken(fakeView(init), 'x-csrf-token', '_csrf');

  it('the header is read first', () => {
    expect(read({ headers: { 'x-csrf-token': 'from-header' }, body: { _csrf: 'from-body' } })).toBe('from-header');
  });

  it('the body field of a urlencoded or JSON body is read when the header is absent or empty', () => {
    expect(read({ body: { _csrf: 'from-body' } })).toBe('from-body');
    expect(read({ headers: { 'x-csrf-token': '' }, body: { _csrf: 'from-body' } })).toBe('from-body');
  });

  it('a fast-querystring body (@fastify/formbody: its prototype an empty null-prototype object) is read', () => {
    const empty = Object.create(null) as object;
    const body = Object.assign(Object.create(empty) as Record<string, unknown>, { _csrf: 'from-body' });
    expect(read({ body })).toBe('from-body');
    // A prototype that holds anything is not a parsed form.
    const withGetter = Object.create(Object.create(null, { _csrf: { get: () => 'planted' } })) as object;
    expect(read({ body: withGetter })).toBeUndefined();
  });

  it('a null-prototype body (querystring.parse, multer) is read', () => {
    const body = Object.assign(Object.create(null) as Record<string, unknown>, { _csrf: 'from-body' });
    expect(read({ body })).toBe('from-body');
  });

  it.each([
    ['no body', undefined],
    ['a string body', '_csrf=abc'],
    ['an array body', ['abc']],
    ['a field that is not a string', { _csrf: ['a', 'b'] }],
    ['a field inherited from the prototype', Object.create({ _csrf: 'inherited' }) as object],
    [
      'a class instance',
      new (class Body {
        _csrf = 'x';
      })(),
    ],
    ['a getter', Object.defineProperty({}, '_csrf', { get: () => 'from-getter', enumerable: true })],
    [
      'a Proxy that throws',
      new Proxy(
        {},
        {
          getPrototypeOf: () => {
            throw new Error('trap');
          },
        },
      ),
    ],
  ])('nothing is read from %s', (_label, body) => {
    expect(read({ body })).toBeUndefined();
  });

  it('the configured header and field names are used', () => {
    const view = fakeView({ headers: { 'x-other': 'h' }, body: { token: 'b' } });
    expect(readSubmittedToken(view, 'x-other', '_csrf')).toBe('h');
    expect(readSubmittedToken(view, 'x-csrf-token', 'token')).toBe('b');
  });
});

describe('CSRF token speed-ups keep their guarantees', () => {
  it('isCsrfSecret accepts exactly the canonical encodings of 32 bytes', () => {
    const alphabet = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...alphabet), { minLength: 43, maxLength: 43 }), (chars) => {
        const text = chars.join('');
        expect(isCsrfSecret(text)).toBe(base64urlDecode(text) !== null);
      }),
      { numRuns: 2000 },
    );
  });

  it('masks come from a pooled CSPRNG block: one randomBytes call per 128 tokens, no byte used twice', () => {
    let calls = 0;
    const counting: SessionCrypto = {
      ...nodeCrypto,
      randomBytes(length) {
        calls++;
        return nodeCrypto.randomBytes(length);
      },
    };
    const secret = createCsrfSecret(nodeCrypto);
    const masks = new Set<string>();
    for (let i = 0; i < 256; i++) {
      const token = maskCsrfToken(secret, counting);
      expect(verifyCsrfToken(token, secret)).toBe(true);
      masks.add(token.slice(0, 43));
    }
    expect(calls).toBe(2);
    expect(masks.size).toBe(256);
  });

  it('a short block from the crypto provider is a programming error, not a weak mask', () => {
    const short: SessionCrypto = { ...nodeCrypto, randomBytes: (length) => new Uint8Array(length - 1) };
    expect(() => maskCsrfToken(createCsrfSecret(nodeCrypto), short)).toThrowError(TypeError);
  });

  it('a secret refused halfway through decoding does not leave the previous secret to be trusted', () => {
    const secret = createCsrfSecret(nodeCrypto);
    const token = maskCsrfToken(secret, nodeCrypto);
    expect(isCsrfSecret(secret)).toBe(true);
    // Another first character, and non-canonical trailing bits ('B' is 1): decoding it
    // overwrites the previous secret's bytes before it is refused.
    const almost = `${secret.startsWith('A') ? 'B' : 'A'}${secret.slice(1, 42)}B`;
    expect(isCsrfSecret(almost)).toBe(false);
    expect(verifyCsrfToken(token, almost)).toBe(false);
    expect(verifyCsrfToken(token, secret)).toBe(true);
  });

  it('tokens of many secrets, issued and verified interleaved, verify against their own secret only', () => {
    const secrets = Array.from({ length: 8 }, () => createCsrfSecret(nodeCrypto));
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(7), fc.nat(7)), { minLength: 1, maxLength: 40 }), (pairs) => {
        for (const [issued, checked] of pairs) {
          const token = maskCsrfToken(secrets[issued]!, nodeCrypto);
          expect(isCsrfSecret(secrets[checked])).toBe(true);
          expect(verifyCsrfToken(token, secrets[checked]!)).toBe(issued === checked);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('a token with any single bit flipped is refused, across pool blocks', () => {
    const secret = createCsrfSecret(nodeCrypto);
    fc.assert(
      fc.property(fc.nat(63), fc.nat(7), (byte, bit) => {
        const token = maskCsrfToken(secret, nodeCrypto);
        expect(verifyCsrfToken(token, secret)).toBe(true);
        const bytes = base64urlDecode(token)!;
        bytes[byte]! ^= 1 << bit;
        expect(verifyCsrfToken(base64urlEncode(bytes), secret)).toBe(false);
      }),
      { numRuns: 1000 },
    );
  });

  it('masks drawn from the pool are never handed out twice, even interleaved with other draws', () => {
    const blocks: Uint8Array[] = [];
    const recording: SessionCrypto = {
      ...nodeCrypto,
      randomBytes(length) {
        const block = nodeCrypto.randomBytes(length);
        blocks.push(block);
        return block;
      },
    };
    const secret = createCsrfSecret(nodeCrypto);
    const pool = randomPool(recording);
    // Masks, with other users of the pool (session ids) drawing in between.
    const draws: Uint8Array[] = [];
    for (let i = 0; i < 300; i++) {
      draws.push(base64urlDecode(maskCsrfToken(secret, recording))!.slice(0, 32));
      if (i % 3 === 0) draws.push(pool.take(32).slice());
    }
    // Together they are the blocks' bytes in order, each handed out once.
    const drawn = new Uint8Array(blocks.length * blocks[0]!.length);
    for (const [index, block] of blocks.entries()) drawn.set(block, index * block.length);
    for (const [index, draw] of draws.entries()) expect(draw).toEqual(drawn.subarray(index * 32, index * 32 + 32));
    expect(blocks).toHaveLength(Math.ceil((draws.length * 32) / blocks[0]!.length));
  });

  it('verifying against a secret decoded before still refuses a token of another secret', () => {
    const one = createCsrfSecret(nodeCrypto);
    const other = createCsrfSecret(nodeCrypto);
    const token = maskCsrfToken(one, nodeCrypto);
    expect(verifyCsrfToken(token, one)).toBe(true);
    expect(verifyCsrfToken(token, other)).toBe(false);
    expect(verifyCsrfToken(token, one)).toBe(true);
  });
});
