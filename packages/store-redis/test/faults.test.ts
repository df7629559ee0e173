import { isSpartanError, type StoredSession } from '@spartan-sessions/core';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore } from '../src/index.js';
import { sessionApp } from './support/app.js';
import { newKey, record, uniquePrefix, watchUnhandledRejections } from './support/fixtures.js';
import { freePorts, RedisServer, waitFor } from './support/servers.js';

// A Redis of its own on a free loopback port (the shared one on 6379 is never stopped), with an
// fsync-always append-only file so that a stop and restart keeps every acknowledged write.
const TIMEOUT_MS = 300;
/** Scheduling slack on a busy CI machine on top of the store's timeout. */
const MARGIN_MS = 250;

let server: RedisServer;
let store: RedisStore;
/** Closes the client of the suite running (each suite makes its own). */
let closeClient: () => unknown = () => {};

beforeAll(async () => {
  const [port] = await freePorts(1);
  server = await RedisServer.start(port!, { args: ['--appendonly', 'yes', '--appendfsync', 'always'] });
});

afterEach(async () => {
  server.resume();
  if (!server.running) await server.restart();
});

afterAll(async () => {
  await server?.dispose();
});

/** The store over a fresh client of the given kind, connected to this file's server. */
const CLIENTS = {
  ioredis: async () => {
    const client = new Redis({ host: '127.0.0.1', port: server.port, lazyConnect: true });
    client.on('error', () => {}); // reconnection noise; failures reach callers through the store
    await client.connect();
    closeClient = () => client.disconnect();
    return new RedisStore({ client, prefix: uniquePrefix(), commandTimeout: TIMEOUT_MS });
  },
  'node-redis': async () => {
    const client = createClient({ url: `redis://127.0.0.1:${server.port}` });
    client.on('error', () => {}); // as above; node-redis throws an 'error' event nobody listens to
    await client.connect();
    closeClient = () => client.destroy();
    return new RedisStore({ client, prefix: uniquePrefix(), commandTimeout: TIMEOUT_MS });
  },
};

interface Outcome {
  ok: boolean;
  ms: number;
  error?: unknown;
}

/**
 * Runs a mix of store calls, 4 at a time, like requests flowing through an app, until
 * `stop()`; every outcome is recorded with its duration.
 */
function traffic() {
  const outcomes: Outcome[] = [];
  const acknowledged = new Map<string, StoredSession>();
  let running = true;
  const call = async (work: () => Promise<unknown>) => {
    const started = performance.now();
    try {
      await work();
      outcomes.push({ ok: true, ms: performance.now() - started });
    } catch (error) {
      outcomes.push({ ok: false, ms: performance.now() - started, error });
    }
  };
  const worker = async (worker: number) => {
    for (let round = 0; running; round++) {
      const key = newKey();
      const session = record({ userId: `user-${worker}`, data: { round } });
      await call(async () => {
        if (await store.set(key, session, { expiresAt: Date.now() + 600_000, expectedVersion: null })) {
          acknowledged.set(key, session);
        }
      });
      await call(() => store.get(key));
      // Core's idle-time write: a compare-and-set that changes nothing the readers check.
      await call(() => store.set(key, session, { expiresAt: Date.now() + 600_000, expectedVersion: session.version }));
      await call(() => store.listByUser(`user-${worker}`));
      // Failing calls come back within the timeout; pace them so the loop does not spin.
      if (outcomes.at(-1)?.ok === false) await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  const workers = Promise.all([0, 1, 2, 3].map(worker));
  return {
    outcomes,
    acknowledged,
    okSince: (from: number) => outcomes.slice(from).filter((outcome) => outcome.ok).length,
    failedSince: (from: number) => outcomes.slice(from).filter((outcome) => !outcome.ok).length,
    async stop() {
      running = false;
      await workers;
    },
  };
}

function expectStoreUnavailable(outcomes: Outcome[]): void {
  const failures = outcomes.filter((outcome) => !outcome.ok);
  for (const failure of failures) {
    expect(isSpartanError(failure.error, 'sessions/store-unavailable')).toBe(true);
    expect((failure.error as { status?: number }).status).toBe(503);
  }
  const slowest = Math.max(...outcomes.map((outcome) => outcome.ms));
  expect(slowest).toBeLessThan(TIMEOUT_MS + MARGIN_MS);
}

async function expectAllReadable(acknowledged: Map<string, StoredSession>): Promise<void> {
  const missing: string[] = [];
  for (const [key, session] of acknowledged) {
    const read = await store.get(key);
    if (JSON.stringify(read) !== JSON.stringify(session)) missing.push(key);
  }
  expect(missing).toEqual([]);
}

describe.each(Object.keys(CLIENTS) as Array<keyof typeof CLIENTS>)('RedisStore on %s', (kind) => {
  beforeAll(async () => {
    store = await CLIENTS[kind]();
  });

  afterAll(() => closeClient());

  /**
   * Store calls flowing (`traffic`) through `fault`, which starts once 50 have succeeded and
   * ends when the store serves again; then: no unhandled rejection, every failure a 503 within
   * the timeout, every acknowledged write readable.
   */
  async function throughFault(fault: (load: ReturnType<typeof traffic>) => Promise<void>): Promise<void> {
    const unhandled = watchUnhandledRejections();
    const load = traffic();
    try {
      await waitFor('traffic before the fault', () => load.okSince(0) >= 50);
      await fault(load);
    } finally {
      await load.stop();
      unhandled.stop();
    }
    expect(unhandled.reasons).toEqual([]);
    expectStoreUnavailable(load.outcomes);
    await expectAllReadable(load.acknowledged);
  }

  it('answers 503 while Redis is stopped, without hanging, and resumes by itself when it is back', async () => {
    await throughFault(async (load) => {
      await server.stop('SIGTERM');
      const down = load.outcomes.length;
      await waitFor('store-unavailable answers during the outage', () => load.failedSince(down) >= 40);
      expect(load.okSince(down + 8)).toBe(0); // calls already in flight at the stop may still finish
      await server.restart();
      const up = load.outcomes.length;
      // The client reconnects on its own schedule (backoff up to 2-5 s); no restart of the store.
      await waitFor('successes after Redis is back', () => load.okSince(up) >= 50, { timeoutMs: 10_000 });
    });
  });

  it('answers 503 within the timeout while Redis hangs (SIGSTOP), and loses nothing when it resumes', async () => {
    await throughFault(async (load) => {
      server.pause();
      const hung = load.outcomes.length;
      await waitFor('timeouts during the hang', () => load.failedSince(hung) >= 20);
      const timeouts = load.outcomes.slice(hung).filter((outcome) => !outcome.ok);
      expect(
        timeouts.some((outcome) => isSpartanError(outcome.error) && outcome.error.details.reason === 'timeout'),
      ).toBe(true);
      server.resume();
      const up = load.outcomes.length;
      await waitFor('successes after the hang', () => load.okSince(up) >= 50, { timeoutMs: 10_000 });
    });
  });

  it('keeps the error free of keys and data', async () => {
    server.pause();
    const key = newKey();
    const error = await store
      .set(key, record({ userId: 'secret-user', data: { secret: 'hunter2' } }), {
        expiresAt: Date.now() + 60_000,
        expectedVersion: null,
      })
      .catch((caught: unknown) => caught);
    server.resume();
    expect(isSpartanError(error, 'sessions/store-unavailable')).toBe(true);
    const text = JSON.stringify(error) + String(error) + String((error as Error).cause);
    for (const secret of [key, 'secret-user', 'hunter2']) expect(text).not.toContain(secret);
  });

  it('through core: a request answers 503 sessions/store-unavailable while Redis is down, and the session is back after', async () => {
    const app = sessionApp(store);
    await app.request((session) => {
      session.basket = 3;
    });
    await server.stop('SIGTERM');
    const started = Date.now();
    const error = await app.request().catch((caught: unknown) => caught);
    expect(isSpartanError(error, 'sessions/store-unavailable')).toBe(true);
    expect((error as { status?: number }).status).toBe(503);
    expect(Date.now() - started).toBeLessThan(TIMEOUT_MS + MARGIN_MS);
    await server.restart();
    let basket: unknown;
    await waitFor('the session to be served again', async () => {
      await app.request((session) => {
        basket = session.basket;
      });
      return true;
    });
    expect(basket).toBe(3);
  });
});
