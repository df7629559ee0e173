import { createHash, createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createWebCrypto, type SessionCrypto } from '../crypto/crypto.js';
import { base64urlDecode } from '../crypto/encoding.js';
import { nodeCrypto } from '../node/index.js';
import { keyHashOf, type SessionEnd, SessionIdCodec } from './ids.js';

const secret = 'a-very-long-secret-for-tests-0001';
const older = 'an-older-secret-still-verifying-02';
/** 2026-01-01T00:30:00Z, an idle deadline. */
const END: SessionEnd = { at: Date.UTC(2026, 0, 1, 0, 30), reason: 'idle' };

function counting(inner: SessionCrypto) {
  const calls = { hmac: 0, sha: 0 };
  const crypto: SessionCrypto = {
    randomBytes: (n) => inner.randomBytes(n),
    hmacSha256: (k, m) => {
      calls.hmac++;
      return inner.hmacSha256(k, m);
    },
    sha256: (m) => {
      calls.sha++;
      return inner.sha256(m);
    },
  };
  return { crypto, calls };
}

describe('session ids', () => {
  it('are 256 bits from the CSPRNG, base64url', async () => {
    const codec = new SessionIdCodec({ secrets: [secret], crypto: nodeCrypto });
    const identity = await codec.issue(END);
    expect(identity.id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(base64urlDecode(identity.id)).toHaveLength(32);
    expect(identity.cookieValue).toMatch(/^[A-Za-z0-9_-]{43}\.[0-9a-z]{1,11}[ti]\.[A-Za-z0-9_-]{43}$/);
    expect(identity.cookieValue.startsWith(`${identity.id}.`)).toBe(true);
    expect((await codec.issue(END)).id).not.toBe(identity.id);
  });

  it('store keys are a hash of the id, never the id itself', async () => {
    const codec = new SessionIdCodec({ secrets: [secret], crypto: nodeCrypto });
    const identity = await codec.issue(END);
    expect(identity.key).not.toContain(identity.id);
    expect(identity.key).toHaveLength(22);
    // The first 128 bits of SHA-256(id), base64url.
    expect(identity.key).toBe(createHash('sha256').update(identity.id).digest().subarray(0, 16).toString('base64url'));
    expect(keyHashOf(identity.key)).toBe(identity.key.slice(0, 12));
  });

  it("a crypto's base64url methods and its byte methods give the same cookie values and store keys", async () => {
    // nodeCrypto has hmacSha256Base64url and sha256Base64url; this copy has only the byte methods.
    const bytesOnly: SessionCrypto = {
      randomBytes: (n) => nodeCrypto.randomBytes(n),
      hmacSha256: (k, m) => nodeCrypto.hmacSha256(k, m),
      sha256: (m) => nodeCrypto.sha256(m),
    };
    const text = new SessionIdCodec({ secrets: [secret, older], crypto: nodeCrypto, cacheSize: 0 });
    const bytes = new SessionIdCodec({ secrets: [secret, older], crypto: bytesOnly, cacheSize: 0 });
    for (let i = 0; i < 2000; i++) {
      const id = text.generateId();
      const viaText = text.identifyNow(id, END);
      const viaBytes = await bytes.identify(id, END);
      expect(viaText).toEqual(viaBytes);
      // Every possible 22nd digit of the key occurs over 2,000 ids; the key is SHA-256's first 128 bits.
      expect((viaText as { key: string }).key).toBe(
        createHash('sha256').update(id).digest().subarray(0, 16).toString('base64url'),
      );
      expect((await text.verify(viaBytes.cookieValue))?.identity).toEqual(viaBytes);
      expect((await bytes.verify(viaBytes.cookieValue))?.identity).toEqual(viaBytes);
    }
    // A value signed with the older secret verifies through the text path too, marked for re-signing.
    const oldValue = await new SessionIdCodec({ secrets: [older], crypto: bytesOnly }).issue(END);
    expect(await text.verify(oldValue.cookieValue)).toEqual({ identity: oldValue, current: false });
  });

  it('uses the base64url methods when the crypto has both, on issue and on a first verification', async () => {
    const calls = { hmac: 0, sha: 0, hmacText: 0, shaText: 0 };
    const crypto: SessionCrypto = {
      randomBytes: (n) => nodeCrypto.randomBytes(n),
      hmacSha256: (k, m) => {
        calls.hmac++;
        return nodeCrypto.hmacSha256(k, m);
      },
      sha256: (m) => {
        calls.sha++;
        return nodeCrypto.sha256(m);
      },
      hmacSha256Base64url: (k, m) => {
        calls.hmacText++;
        return nodeCrypto.hmacSha256Base64url!(k, m);
      },
      sha256Base64url: (m) => {
        calls.shaText++;
        return nodeCrypto.sha256Base64url!(m);
      },
    };
    const codec = new SessionIdCodec({ secrets: [secret], crypto, cacheSize: 0 });
    const identity = await codec.issue(END);
    expect(await codec.verify(identity.cookieValue)).toEqual({ identity, current: true });
    // The purpose key's derivation is the only byte HMAC.
    expect(calls).toEqual({ hmac: 1, sha: 0, hmacText: 2, shaText: 2 });
    // A forged tag is refused on this path too.
    const forged = `${identity.cookieValue.slice(0, -1)}${identity.cookieValue.endsWith('A') ? 'B' : 'A'}`;
    expect(await codec.verify(forged)).toBeNull();
  });

  it('remembers an issued value on an asynchronous crypto only; a synchronous one checks it once when it comes back', async () => {
    const asynchronous = counting(createWebCrypto());
    const webCodec = new SessionIdCodec({ secrets: [secret], crypto: asynchronous.crypto });
    const issuedOnWeb = await webCodec.issue(END);
    const afterIssue = { ...asynchronous.calls };
    expect(await webCodec.verify(issuedOnWeb.cookieValue)).toEqual({ identity: issuedOnWeb, current: true });
    expect(asynchronous.calls).toEqual(afterIssue);

    let textHmacs = 0;
    const synchronous: SessionCrypto = {
      ...nodeCrypto,
      hmacSha256Base64url: (k, m) => {
        textHmacs++;
        return nodeCrypto.hmacSha256Base64url!(k, m);
      },
    };
    const nodeCodec = new SessionIdCodec({ secrets: [secret], crypto: synchronous });
    const issuedOnNode = await nodeCodec.issue(END);
    expect(textHmacs).toBe(1);
    expect(await nodeCodec.verify(issuedOnNode.cookieValue)).toEqual({ identity: issuedOnNode, current: true });
    expect(textHmacs).toBe(2);
    expect(nodeCodec.verifiedBefore(issuedOnNode.cookieValue)).toEqual({ identity: issuedOnNode, current: true });
    await nodeCodec.verify(issuedOnNode.cookieValue);
    expect(textHmacs).toBe(2);
  });

  it('verify accepts its own cookie values (WebCrypto and node:crypto agree)', async () => {
    const web = new SessionIdCodec({ secrets: [secret], crypto: createWebCrypto(), cacheSize: 0 });
    const node = new SessionIdCodec({ secrets: [secret], crypto: nodeCrypto, cacheSize: 0 });
    const identity = await web.issue(END);
    const verified = await node.verify(identity.cookieValue);
    expect(verified?.identity).toEqual(identity);
    expect(verified?.current).toBe(true);
  });

  it('a value tagged with a rotated-out secret still verifies but is marked for re-signing', async () => {
    const before = new SessionIdCodec({ secrets: [older], crypto: nodeCrypto });
    const after = new SessionIdCodec({ secrets: [secret, older], crypto: nodeCrypto });
    const identity = await before.issue(END);
    const verified = await after.verify(identity.cookieValue);
    expect(verified?.identity.key).toBe(identity.key);
    expect(verified?.current).toBe(false);
    expect(await new SessionIdCodec({ secrets: [secret], crypto: nodeCrypto }).verify(identity.cookieValue)).toBeNull();
  });

  it('tags with the session-cookie key of the secret, not the secret: a tag of the old scheme does not verify', async () => {
    const codec = new SessionIdCodec({ secrets: [secret, older], crypto: nodeCrypto, cacheSize: 0 });
    const id = codec.generateId();
    for (const raw of [secret, older]) {
      // Before purpose keys: HMAC-SHA256(secret, id).
      const oldTag = createHmac('sha256', raw).update(id).digest('base64url');
      expect(await codec.verify(`${id}.${oldTag}`)).toBeNull();
    }
    const key = createHmac('sha256', secret).update('spartan-sessions/v1/session-cookie').digest('base64url');
    const signed = `${id}.${(END.at / 1000).toString(36)}i`;
    const tag = createHmac('sha256', key).update(signed).digest('base64url');
    expect((await codec.identify(id, END)).cookieValue).toBe(`${signed}.${tag}`);
    expect((await codec.verify(`${signed}.${tag}`))?.current).toBe(true);
  });

  it('carries the session end, signed: read back as it was written, refused when changed', async () => {
    const codec = new SessionIdCodec({ secrets: [secret], crypto: nodeCrypto, cacheSize: 0 });
    const end: SessionEnd = { at: Date.UTC(2026, 5, 1, 12, 0, 7), reason: 'ttl' };
    const identity = await codec.issue(end);
    expect(identity.end).toEqual(end);
    expect((await codec.verify(identity.cookieValue))?.identity.end).toEqual(end);
    // Rounded down to the second: never later than the real end.
    expect((await codec.issue({ at: end.at + 999, reason: 'idle' })).end).toEqual({ at: end.at, reason: 'idle' });
    const [id, hint, tag] = identity.cookieValue.split('.') as [string, string, string];
    const later = `${(Number.parseInt(hint.slice(0, -1), 36) + 3600).toString(36)}t`;
    expect(await codec.verify(`${id}.${later}.${tag}`)).toBeNull();
    expect(await codec.verify(`${id}.${hint.slice(0, -1)}i.${tag}`)).toBeNull();
  });

  it('derives each key once: a codec on WebCrypto answers synchronously once its key is derived', async () => {
    const { crypto, calls } = counting(createWebCrypto());
    const codec = new SessionIdCodec({ secrets: [secret, older], crypto, cacheSize: 0 });
    const first = codec.identifyNow(codec.generateId(), END);
    expect(first).toBeInstanceOf(Promise);
    await first;
    // One derivation (the first secret's key) and one tag.
    expect(calls.hmac).toBe(2);
    const issuedBefore = await new SessionIdCodec({ secrets: [older], crypto: nodeCrypto }).issue(END);
    expect((await codec.verify(issuedBefore.cookieValue))?.current).toBe(false);
    // Two tags (one per key) and the older secret's derivation.
    expect(calls.hmac).toBe(5);
    await codec.verify(issuedBefore.cookieValue);
    expect(calls.hmac).toBe(7);
  });

  it('with a synchronous crypto the first call is synchronous too (the key is derived on the spot)', () => {
    const codec = new SessionIdCodec({ secrets: [secret], crypto: nodeCrypto });
    const identity = codec.identifyNow(codec.generateId(), END);
    expect(identity).not.toBeInstanceOf(Promise);
  });

  it('caches verified values so a returning visitor costs no HMAC and no hash', async () => {
    const { crypto, calls } = counting(nodeCrypto);
    const codec = new SessionIdCodec({ secrets: [secret], crypto });
    const identity = await new SessionIdCodec({ secrets: [secret], crypto: nodeCrypto }).issue(END);
    await codec.verify(identity.cookieValue);
    const after = { ...calls };
    await codec.verify(identity.cookieValue);
    expect(calls).toEqual(after);
    codec.forget(identity.cookieValue);
    await codec.verify(identity.cookieValue);
    expect(calls.hmac).toBe(after.hmac + 1);
  });

  it('the verification cache is bounded (least recently used goes first)', async () => {
    const { crypto, calls } = counting(nodeCrypto);
    const codec = new SessionIdCodec({ secrets: [secret], crypto, cacheSize: 2 });
    const issuer = new SessionIdCodec({ secrets: [secret], crypto: nodeCrypto });
    const [a, b, c] = [await issuer.issue(END), await issuer.issue(END), await issuer.issue(END)];
    await codec.verify(a.cookieValue);
    await codec.verify(b.cookieValue);
    await codec.verify(a.cookieValue); // a is now the most recent
    await codec.verify(c.cookieValue); // evicts b
    const before = calls.hmac;
    await codec.verify(a.cookieValue);
    expect(calls.hmac).toBe(before);
    await codec.verify(b.cookieValue);
    expect(calls.hmac).toBe(before + 1);
  });

  it('keeps a value that is used at least once every cacheSize / 2 new values, without moving it on every hit', async () => {
    const { crypto, calls } = counting(nodeCrypto);
    const codec = new SessionIdCodec({ secrets: [secret], crypto, cacheSize: 8 });
    const issuer = new SessionIdCodec({ secrets: [secret], crypto: nodeCrypto });
    const kept = await issuer.issue(END);
    await codec.verify(kept.cookieValue);
    const others = [];
    for (let i = 0; i < 40; i++) others.push(await issuer.issue(END));
    for (let i = 0; i < others.length; i++) {
      await codec.verify(others[i]!.cookieValue);
      if (i % 4 === 3) {
        const before = calls.hmac;
        await codec.verify(kept.cookieValue);
        expect(calls.hmac).toBe(before);
      }
    }
    // The oldest of the others are gone (the cache stays bounded).
    const before = calls.hmac;
    await codec.verify(others[0]!.cookieValue);
    expect(calls.hmac).toBe(before + 1);
  });

  it('rejects malformed values without touching crypto', async () => {
    const { crypto, calls } = counting(nodeCrypto);
    const codec = new SessionIdCodec({ secrets: [secret], crypto });
    for (const bad of [
      '',
      'x',
      'a'.repeat(87),
      `${'a'.repeat(43)}.${'b'.repeat(42)}!`,
      `${'a'.repeat(43)}.${'+'.repeat(43)}`,
    ]) {
      expect(await codec.verify(bad)).toBeNull();
    }
    expect(calls.hmac).toBe(0);
  });

  it('never throws on arbitrary input and never accepts a modified value (property)', async () => {
    const codec = new SessionIdCodec({ secrets: [secret], crypto: nodeCrypto, cacheSize: 0 });
    const identity = await codec.issue(END);
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 120 }), async (value) => {
        const verified = await codec.verify(value);
        if (verified) expect(value).toBe(identity.cookieValue);
      }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: identity.cookieValue.length - 1 }),
        fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.'.split('')),
        async (index, replacement) => {
          const value = identity.cookieValue;
          fc.pre(value[index] !== replacement);
          const modified = value.slice(0, index) + replacement + value.slice(index + 1);
          expect(await codec.verify(modified)).toBeNull();
        },
      ),
    );
  });
});

describe('id randomness', () => {
  it('ids are cut from pooled CSPRNG blocks: one randomBytes call per 128 ids, never a byte twice', () => {
    let calls = 0;
    const crypto: SessionCrypto = {
      ...nodeCrypto,
      randomBytes(length) {
        calls++;
        return nodeCrypto.randomBytes(length);
      },
    };
    const codec = new SessionIdCodec({ secrets: [secret], crypto });
    const ids = new Set(Array.from({ length: 256 }, () => codec.generateId()));
    expect(ids.size).toBe(256);
    expect(calls).toBe(2);
    for (const id of ids) expect(base64urlDecode(id)).toHaveLength(32);
  });
});
