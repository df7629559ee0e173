// CSRF token pairs per second, in a child process pinned to the servers' core. A pair is what
// one protected form costs: a fresh token issued for a response, then a submitted token
// verified. Every library issues a new token on each call (csrf-sync and csrf-csrf are told
// to: their default reuses the previous one, which is not BREACH-safe).
// Input: JSON spec in argv[2] ({ seconds, rounds }). Output: `result { name: [pairs/s, …] }`.
import { performance } from 'node:perf_hooks';
import { createCsrfGuard, parsePolicy } from '@spartan-sessions/core';
import { nodeCrypto } from '@spartan-sessions/core/node';
import Tokens from 'csrf';
import { doubleCsrf } from 'csrf-csrf';
import { csrfSync } from 'csrf-sync';
import { SECRET } from '../servers/lib/common.mjs';

const spec = JSON.parse(process.argv[2]);

function pillarjsCsrf() {
  const tokens = new Tokens();
  const secret = tokens.secretSync();
  return () => {
    if (!tokens.verify(secret, tokens.create(secret))) throw new Error('csrf: token refused');
  };
}

function csrfCsrf() {
  const { generateCsrfToken, validateRequest } = doubleCsrf({
    getSecret: () => SECRET,
    getSessionIdentifier: (req) => req.sessionId,
  });
  const req = { sessionId: 'a-session-id', cookies: {}, headers: {}, method: 'POST' };
  const res = {
    cookie(name, value) {
      req.cookies[name] = value;
    },
  };
  return () => {
    req.headers['x-csrf-token'] = generateCsrfToken(req, res, { overwrite: true });
    if (!validateRequest(req)) throw new Error('csrf-csrf: token refused');
  };
}

function csrfSyncPair() {
  const { generateToken, isRequestValid } = csrfSync();
  const req = { session: {}, headers: {}, method: 'POST' };
  return () => {
    req.headers['x-csrf-token'] = generateToken(req, true);
    if (!isRequestValid(req)) throw new Error('csrf-sync: token refused');
  };
}

/** A `RequestView` of a same-origin browser request to 127.0.0.1 (secure by `localhostIsSecure`). */
function view(method, headers) {
  const all = { host: '127.0.0.1:3000', 'sec-fetch-site': 'same-origin', ...headers };
  return { method, path: '/submit', encrypted: false, headers: { get: (name) => all[name] } };
}

/** A cookie jar that keeps what the guard sets (double submit) and hands it back. */
function jar() {
  const cookies = new Map();
  return {
    get: (name) => cookies.get(name),
    setCookie(name, serialized) {
      cookies.set(name, serialized.slice(serialized.indexOf('=') + 1).split(';')[0]);
    },
    setHeader() {},
  };
}

function spartan(mode) {
  const guard = createCsrfGuard({ policy: parsePolicy({}), secrets: SECRET, mode, crypto: nodeCrypto });
  let secret = null;
  const session = {
    getCsrfSecret: () => secret,
    setCsrfSecret(value) {
      secret = value;
    },
  };
  const cookies = jar();
  const get = { view: view('GET', {}), jar: cookies, ...(mode === 'synchronizer' ? { session } : {}) };
  return async () => {
    const token = await guard.issueToken(get);
    await guard.verify({ ...get, view: view('POST', { 'x-csrf-token': token }) });
  };
}

const contenders = {
  csrf: { mode: 'synchronizer (salted hash)', make: pillarjsCsrf },
  'csrf-csrf': { mode: 'double submit (HMAC)', make: csrfCsrf },
  'csrf-sync': { mode: 'synchronizer (plain)', make: csrfSyncPair },
  'spartan-sessions': { mode: 'synchronizer (masked)', make: () => spartan('synchronizer') },
  'spartan-sessions (cookie)': { mode: 'double submit (sealed, masked)', make: () => spartan('double-submit') },
};

async function measure(pair, seconds) {
  // Warm-up, then batches of 1000 until the time is up.
  for (let i = 0; i < 2000; i++) await pair();
  const started = performance.now();
  const deadline = started + seconds * 1000;
  let pairs = 0;
  let now = started;
  while (now < deadline) {
    for (let i = 0; i < 1000; i++) await pair();
    pairs += 1000;
    now = performance.now();
  }
  return pairs / ((now - started) / 1000);
}

const names = Object.keys(contenders);
const results = Object.fromEntries(names.map((name) => [name, []]));
for (let round = 0; round < spec.rounds; round++) {
  // Alternate the order between rounds.
  const order = round % 2 === 0 ? names : [...names].reverse();
  for (const name of order) {
    const pairsPerSecond = await measure(contenders[name].make(), spec.seconds);
    results[name].push(pairsPerSecond);
    process.stdout.write(`    ${name.padEnd(26)} ${Math.round(pairsPerSecond)} pairs/s\n`);
  }
}
const modes = Object.fromEntries(names.map((name) => [name, contenders[name].mode]));
process.stdout.write(`result ${JSON.stringify({ results, modes })}\n`);
