import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SessionCrypto } from '../crypto/crypto.js';
import { isSpartanError } from '../errors/errors.js';
import { fetchSecret, nodeCrypto, nodeSpartanCore, readPolicy, readPolicySync } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'spartan-node-'));
const strong = 's'.repeat(40);

describe('readPolicy', () => {
  it('reads and validates a security.json file', async () => {
    const path = join(dir, 'ok.json');
    writeFileSync(path, JSON.stringify({ config: { name: 'app' } }));
    expect((await readPolicy(path)).config.name).toBe('app');
    expect(readPolicySync(path).config.duration.ttl).toBe(43200);
  });

  it('invalid-policy for a missing file, bad JSON, or a bad document', async () => {
    const badJson = join(dir, 'bad.json');
    writeFileSync(badJson, '{ nope');
    const badDoc = join(dir, 'doc.json');
    writeFileSync(badDoc, JSON.stringify({ config: { duration: { ttl: 'long' } } }));
    for (const path of [join(dir, 'missing.json'), badJson, badDoc]) {
      await expect(readPolicy(path)).rejects.toMatchObject({ code: 'sessions/invalid-policy' });
      expect(() => readPolicySync(path)).toThrowError(expect.objectContaining({ code: 'sessions/invalid-policy' }));
    }
  });
});

describe('fetchSecret', () => {
  it('reads the variable plus comma-separated previous secrets', () => {
    const previous = 'p'.repeat(33);
    expect(
      fetchSecret('SESSION_SECRET', { SESSION_SECRET: strong, SESSION_SECRET_PREVIOUS: ` ${previous} ,` }),
    ).toEqual([strong, previous]);
  });

  it('reads the file named by NAME_FILE when the variable is unset', () => {
    const file = join(dir, 'secret.txt');
    writeFileSync(file, `${strong}\n`);
    expect(fetchSecret('APP_SECRET', { APP_SECRET_FILE: file })).toEqual([strong]);
  });

  it('missing-secret when nothing is set or the file cannot be read, naming the variable only', () => {
    expect(() => fetchSecret('SESSION_SECRET', {})).toThrowError(
      expect.objectContaining({ code: 'sessions/missing-secret', details: { variable: 'SESSION_SECRET' } }),
    );
    expect(() => fetchSecret('SESSION_SECRET', { SESSION_SECRET_FILE: join(dir, 'nope') })).toThrowError(
      expect.objectContaining({ code: 'sessions/missing-secret' }),
    );
  });

  it('weak-secret for a short secret, without its value in the error', () => {
    try {
      fetchSecret('SESSION_SECRET', { SESSION_SECRET: 'tiny-secret' });
      expect.unreachable();
    } catch (error) {
      expect(isSpartanError(error, 'sessions/weak-secret')).toBe(true);
      expect(JSON.stringify(error) + String(error)).not.toContain('tiny-secret');
    }
  });
});

describe('nodeSpartanCore', () => {
  it('reads a policy given as a path, once, and validates it', () => {
    const path = join(dir, 'core.json');
    writeFileSync(path, JSON.stringify({ config: { name: 'from-file' } }));
    const core = nodeSpartanCore({ secrets: strong, policy: path });
    expect(core.policy.config.name).toBe('from-file');
    expect(core.manager.cookieName).toBe('__Host-from-file');
    expect(() => nodeSpartanCore({ secrets: strong, policy: join(dir, 'missing.json') })).toThrowError(
      expect.objectContaining({ code: 'sessions/invalid-policy' }),
    );
  });

  it('uses the synchronous node:crypto unless the options name another crypto', async () => {
    let calls = 0;
    const counting: SessionCrypto = {
      randomBytes: (length) => {
        calls++;
        return nodeCrypto.randomBytes(length);
      },
      hmacSha256: (key, message) => {
        calls++;
        return nodeCrypto.hmacSha256(key, message);
      },
      sha256: (message) => {
        calls++;
        return nodeCrypto.sha256(message);
      },
    };
    const newSession = async (core: ReturnType<typeof nodeSpartanCore>): Promise<void> => {
      const view = { method: 'GET', path: '/', encrypted: true, headers: { get: () => undefined } };
      const jar = { get: () => undefined, setCookie: () => {}, setHeader: () => {} };
      const context = await core.manager.begin(view, jar);
      context.session.n = 1;
      await context.commit();
    };
    await newSession(nodeSpartanCore({ secrets: strong, crypto: counting }));
    // A new session takes a random id and signs it: through the crypto the options named.
    expect(calls).toBeGreaterThan(0);
    const before = calls;
    await newSession(nodeSpartanCore({ secrets: strong }));
    expect(calls).toBe(before);
  });
});
