import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { base64urlDecode, base64urlEncode } from '../crypto/encoding.js';
import { base64urlEncoder, decodeBase64urlInto } from './codec.js';

const ALPHABET = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'];

/** Decodes with the codec into a buffer of the size the text implies, `null` when refused. */
function decode(text: string): Uint8Array | null {
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  return decodeBase64urlInto(text, out) ? out : null;
}

describe('decodeBase64urlInto', () => {
  it('agrees with base64urlDecode on every string of the alphabet (canonical or not)', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...ALPHABET), { maxLength: 100 }), (characters) => {
        const text = characters.join('');
        expect(decode(text)).toEqual(base64urlDecode(text));
      }),
      { numRuns: 3000 },
    );
  });

  it('decodes what base64urlEncode encodes, whatever the length', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        expect(decode(base64urlEncode(bytes))).toEqual(bytes);
      }),
      { numRuns: 1000 },
    );
  });

  it.each([
    ['a character outside the alphabet', `${'A'.repeat(42)}+A`],
    ['padding', `${'A'.repeat(42)}==`],
    ['a non-ASCII character', `${'A'.repeat(42)}é`],
    ['a character whose low 7 bits are in the alphabet', `${'A'.repeat(42)}\u0141`],
    ['non-zero trailing bits after 2 characters', 'AB'],
    ['non-zero trailing bits after 3 characters', 'AAB'],
    ['a length of 1 mod 4', 'AAAAA'],
  ])('refuses %s', (_label, text) => {
    expect(decode(text)).toBeNull();
    expect(base64urlDecode(text)).toBeNull();
  });

  it('refuses an output buffer of the wrong size', () => {
    const text = base64urlEncode(new Uint8Array(32).fill(7));
    expect(decodeBase64urlInto(text, new Uint8Array(31))).toBe(false);
    expect(decodeBase64urlInto(text, new Uint8Array(33))).toBe(false);
    expect(decodeBase64urlInto(text, new Uint8Array(32))).toBe(true);
  });
});

describe('base64urlEncoder', () => {
  it('gives what base64urlEncode gives, for each length and every call (the code array is reused)', () => {
    for (let length = 0; length <= 70; length++) {
      const encode = base64urlEncoder(length);
      fc.assert(
        fc.property(fc.uint8Array({ minLength: length, maxLength: length }), (bytes) => {
          expect(encode(bytes)).toBe(base64urlEncode(bytes));
        }),
        { numRuns: 20 },
      );
    }
  });

  it('refuses input of another length', () => {
    expect(() => base64urlEncoder(64)(new Uint8Array(63))).toThrowError(TypeError);
  });
});
