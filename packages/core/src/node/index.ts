/**
 * `@spartan-sessions/core/node`: helpers that need Node.js built-ins, kept out of core's main
 * entry (which runs on WebCrypto alone).
 */
import { createHash, createHmac, hash, randomFillSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { SpartanCore, type SpartanCoreOptions } from '../adapter/setup.js';
import type { SessionCrypto } from '../crypto/crypto.js';
import { normalizeSecrets } from '../crypto/secrets.js';
import { SpartanError } from '../errors/errors.js';
import { type Policy, type PolicyInput, parsePolicy } from '../policy/policy.js';

export { holdResponse } from './hold-response.js';
export { existingNodeScope, NodeExchange, nodeScope, pathnameOf } from './http.js';

/**
 * `SessionCrypto` over node:crypto. Its HMAC and hash are synchronous, so a request pays no
 * thread-pool hop (each WebCrypto call in Node costs tens of microseconds or more).
 */
export const nodeCrypto: SessionCrypto = {
  randomBytes(length) {
    return randomFillSync(new Uint8Array(length));
  },
  hmacSha256(key, message) {
    const digest = createHmac('sha256', key).update(message).digest();
    return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength);
  },
  sha256(message) {
    const digest = createHash('sha256').update(message).digest();
    return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength);
  },
  // The text straight from OpenSSL: no Buffer to make and no encoding in JavaScript (a new
  // visitor's HMAC and hash cost ~1.7 µs this way against ~3.4 µs as bytes, before encoding).
  hmacSha256Base64url(key, message) {
    return createHmac('sha256', key).update(message).digest('base64url');
  },
  sha256Base64url(message) {
    return hash('sha256', message, 'base64url');
  },
};

function parsePolicyText(text: string, path: string): Policy {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new SpartanError(
      'sessions/invalid-policy',
      `The security policy at ${path} is not valid JSON`,
      { path, issues: [{ path: '(root)', message: 'not valid JSON' }] },
      { cause: error },
    );
  }
  return parsePolicy(document);
}

function unreadable(path: string, error: unknown): SpartanError {
  return new SpartanError(
    'sessions/invalid-policy',
    `The security policy at ${path} cannot be read`,
    { path, issues: [{ path: '(root)', message: 'file cannot be read' }] },
    { cause: error },
  );
}

/** Reads and validates a `security.json` file. Throws `sessions/invalid-policy`. */
export async function readPolicy(path: string): Promise<Policy> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw unreadable(path, error);
  }
  return parsePolicyText(text, path);
}

/** `readPolicy` for setup code that cannot await (an Express app built synchronously). */
export function readPolicySync(path: string): Policy {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw unreadable(path, error);
  }
  return parsePolicyText(text, path);
}

/**
 * The secrets named `name`: the environment variable `name`, or the file named by `${name}_FILE`
 * (Docker/Kubernetes secrets; trailing newline trimmed), followed by the comma-separated
 * `${name}_PREVIOUS` (rotation: old secrets still verify). Throws `sessions/missing-secret` or
 * `sessions/weak-secret`; never puts a secret's value in an error.
 */
export function fetchSecret(name = 'SESSION_SECRET', env: NodeJS.ProcessEnv = process.env): string[] {
  let current = env[name];
  const file = env[`${name}_FILE`];
  if ((current === undefined || current === '') && file !== undefined && file !== '') {
    try {
      current = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    } catch (error) {
      throw new SpartanError(
        'sessions/missing-secret',
        `The secret file named by ${name}_FILE cannot be read`,
        { variable: `${name}_FILE` },
        { cause: error },
      );
    }
  }
  if (current === undefined || current === '') {
    throw new SpartanError('sessions/missing-secret', `No secret: set ${name} or ${name}_FILE`, { variable: name });
  }
  const previous = (env[`${name}_PREVIOUS`] ?? '')
    .split(',')
    .map((secret) => secret.trim())
    .filter((secret) => secret.length > 0);
  return [...normalizeSecrets([current, ...previous])];
}

/** Options of a Node.js adapter's `spartan(...)` (SPEC §7): core's, with `policy` also a file path. */
export interface NodeSpartanOptions extends Omit<SpartanCoreOptions, 'policy'> {
  /**
   * A parsed policy (`parsePolicy`), a `security.json` document, or the path of a `security.json`
   * file (read synchronously, once, at setup).
   * @default every secure default of SPEC §3
   */
  policy?: Policy | PolicyInput | string | undefined;
}

/**
 * The `SpartanCore` every Node.js adapter's `spartan(...)` starts from: the policy read from its
 * path when given one, and the synchronous node:crypto unless `options.crypto` names another (a
 * returning visitor's cookie is then verified without a WebCrypto hop). Throws what
 * `SpartanCore` throws.
 */
export function nodeSpartanCore(options: NodeSpartanOptions): SpartanCore {
  const policy = options?.policy;
  return new SpartanCore({
    crypto: nodeCrypto,
    ...options,
    policy: typeof policy === 'string' ? readPolicySync(policy) : policy,
  });
}
