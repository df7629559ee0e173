import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isSpartanError } from '../errors/errors.js';
import { nodeCrypto } from '../node/index.js';
import { createWebCrypto, webCrypto } from './crypto.js';
import { base64urlDecode, base64urlEncode, timingSafeEqual, timingSafeEqualBytes, utf8 } from './encoding.js';
import { normalizeSecrets } from './secrets.js';

const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

describe('base64url', () => {
  it('encodes as RFC 4648 §5 without padding', () => {
    expect(base64urlEncode(utf8(''))).toBe('');
    expect(base64urlEncode(utf8('f'))).toBe('Zg');
    expect(base64urlEncode(utf8('fo'))).toBe('Zm8');
    expect(base64urlEncode(utf8('foo'))).toBe('Zm9v');
    expect(base64urlEncode(new Uint8Array([0xfb, 0xff]))).toBe('-_8');
  });

  it('round-trips any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        expect(base64urlDecode(base64urlEncode(bytes))).toEqual(bytes);
      }),
    );
  });

  it('decoding never throws and refuses non-canonical or foreign input', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        const decoded = base64urlDecode(text);
        if (decoded !== null) expect(base64urlEncode(decoded)).toBe(text);
      }),
    );
    expect(base64urlDecode('Zh')).toBeNull(); // leftover bits set
    expect(base64urlDecode('Z')).toBeNull();
    expect(base64urlDecode('Zm9v=')).toBeNull();
    expect(base64urlDecode('é')).toBeNull();
  });
});

describe('timingSafeEqual', () => {
  it('compares strings and bytes by value', () => {
    expect(timingSafeEqual('abc', 'abc')).toBe(true);
    expect(timingSafeEqual('abc', 'abd')).toBe(false);
    expect(timingSafeEqual('abc', 'ab')).toBe(false);
    expect(timingSafeEqualBytes(new Uint8Array([1, 2]), new Uint8Array([1, 2]))).toBe(true);
    expect(timingSafeEqualBytes(new Uint8Array([1, 2]), new Uint8Array([1, 3]))).toBe(false);
    expect(timingSafeEqualBytes(new Uint8Array([1]), new Uint8Array([1, 3]))).toBe(false);
  });
});

describe('SessionCrypto', () => {
  it('WebCrypto and node:crypto give the same HMAC-SHA256 and SHA-256 (RFC 4231 case 2)', async () => {
    const web = createWebCrypto();
    const expected = '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843';
    expect(hex(await web.hmacSha256('Jefe', 'what do ya want for nothing?'))).toBe(expected);
    expect(hex(await nodeCrypto.hmacSha256('Jefe', 'what do ya want for nothing?'))).toBe(expected);
    const sha = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';
    expect(hex(await web.sha256('abc'))).toBe(sha);
    expect(hex(await nodeCrypto.sha256('abc'))).toBe(sha);
  });

  it('draws fresh random bytes of the asked length', () => {
    for (const crypto of [webCrypto(), nodeCrypto]) {
      const a = crypto.randomBytes(32);
      expect(a).toHaveLength(32);
      expect(hex(a)).not.toBe(hex(crypto.randomBytes(32)));
    }
    expect(webCrypto()).toBe(webCrypto());
  });
});

describe('normalizeSecrets', () => {
  const strong = 'x'.repeat(32);

  it('accepts one secret or a rotation list, first signs', () => {
    expect(normalizeSecrets(strong)).toEqual([strong]);
    expect(normalizeSecrets([strong, `${strong}y`])).toEqual([strong, `${strong}y`]);
  });

  it('missing-secret for nothing, an empty list, or a non-string', () => {
    for (const bad of [undefined, null, '', [], 42, [strong, 7], ['']]) {
      expect(() => normalizeSecrets(bad)).toThrowError(expect.objectContaining({ code: 'sessions/missing-secret' }));
    }
  });

  it('weak-secret under 32 characters, without the value in the error', () => {
    try {
      normalizeSecrets([strong, 'short-secret-value']);
      expect.unreachable();
    } catch (error) {
      expect(isSpartanError(error, 'sessions/weak-secret')).toBe(true);
      expect(JSON.stringify(error)).not.toContain('short-secret-value');
      expect(String((error as Error).message)).not.toContain('short-secret-value');
    }
  });
});
