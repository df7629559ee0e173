import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { nodeCrypto } from '../node/index.js';
import { createWebCrypto, type SessionCrypto } from './crypto.js';
import { type KeyPurpose, keyLabel, PurposeKeys } from './keys.js';

const SECRET = 'purpose-keys-secret-that-is-long-enough-0001';
const OLDER = 'purpose-keys-older-secret-long-enough-0002';
const PURPOSES: readonly KeyPurpose[] = ['session-cookie', 'csrf-cookie', 'sealed-cookie'];

function counting(inner: SessionCrypto) {
  const calls = { hmac: 0 };
  const crypto: SessionCrypto = {
    ...inner,
    hmacSha256(key, message) {
      calls.hmac++;
      return inner.hmacSha256(key, message);
    },
  };
  return { crypto, calls };
}

describe('PurposeKeys', () => {
  it('key_i = base64url(HMAC-SHA256(secret_i, "spartan-sessions/v1/<purpose>"))', () => {
    for (const purpose of PURPOSES) {
      expect(keyLabel(purpose)).toBe(`spartan-sessions/v1/${purpose}`);
      const keys = new PurposeKeys([SECRET, OLDER], purpose, nodeCrypto);
      expect(keys.count).toBe(2);
      [SECRET, OLDER].forEach((secret, index) => {
        const expected = createHmac('sha256', secret).update(`spartan-sessions/v1/${purpose}`).digest('base64url');
        expect(keys.key(index)).toBe(expected);
      });
    }
  });

  it('gives every purpose and every secret its own key, none of them a secret', () => {
    const all = PURPOSES.flatMap((purpose) => {
      const keys = new PurposeKeys([SECRET, OLDER], purpose, nodeCrypto);
      return [keys.key(0), keys.key(1)] as string[];
    });
    expect(new Set(all).size).toBe(6);
    for (const key of all) {
      expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(key).not.toContain(SECRET);
      expect(key).not.toContain(OLDER);
    }
  });

  it('WebCrypto and node:crypto derive the same keys', async () => {
    for (const purpose of PURPOSES) {
      const web = new PurposeKeys([SECRET, OLDER], purpose, createWebCrypto());
      const node = new PurposeKeys([SECRET, OLDER], purpose, nodeCrypto);
      expect(await web.key(0)).toBe(node.key(0));
      expect(await web.key(1)).toBe(node.key(1));
    }
  });

  it('derives each key once, lazily: synchronous crypto answers plain values from the first call', () => {
    const { crypto, calls } = counting(nodeCrypto);
    const keys = new PurposeKeys([SECRET, OLDER], 'session-cookie', crypto);
    expect(calls.hmac).toBe(0);
    const first = keys.key(0);
    expect(typeof first).toBe('string');
    expect(keys.key(0)).toBe(first);
    expect(calls.hmac).toBe(1);
    keys.key(1);
    keys.key(1);
    expect(calls.hmac).toBe(2);
  });

  it('asynchronous crypto: one derivation for concurrent first calls, plain values once it is done', async () => {
    const { crypto, calls } = counting(createWebCrypto());
    const keys = new PurposeKeys([SECRET], 'csrf-cookie', crypto);
    const a = keys.key(0);
    const b = keys.key(0);
    expect(a).toBeInstanceOf(Promise);
    expect(b).toBe(a);
    const key = await a;
    expect(keys.key(0)).toBe(key);
    expect(calls.hmac).toBe(1);
  });

  it('a failed derivation is not kept: the next call tries again', async () => {
    let fail = true;
    const broken = new Error('subtle exploded');
    const crypto: SessionCrypto = {
      ...nodeCrypto,
      hmacSha256: (key, message) =>
        fail ? Promise.reject(broken) : Promise.resolve(nodeCrypto.hmacSha256(key, message)),
    };
    const keys = new PurposeKeys([SECRET], 'sealed-cookie', crypto);
    await expect(keys.key(0)).rejects.toBe(broken);
    fail = false;
    expect(await keys.key(0)).toBe(new PurposeKeys([SECRET], 'sealed-cookie', nodeCrypto).key(0));
  });

  it('an index past the secrets is a RangeError that names no secret', () => {
    const keys = new PurposeKeys([SECRET], 'session-cookie', nodeCrypto);
    expect(() => keys.key(1)).toThrowError(RangeError);
    try {
      keys.key(1);
    } catch (error) {
      expect(String(error)).not.toContain(SECRET);
    }
  });
});
