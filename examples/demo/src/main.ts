/**
 * `npm start`: the demo on http://localhost:3000 with the embedded in-memory store.
 * Environment: `PORT` (default 3000), `SESSION_SECRET` / `SESSION_SECRET_FILE` /
 * `SESSION_SECRET_PREVIOUS` (without any, a random secret is made for this run), `STORE`
 * (`memory`, the default, `redis` or `mongo`), `REDIS_URL` (default `redis://127.0.0.1:6379`),
 * `MONGO_URL` (required with `STORE=mongo`) and `MONGO_DB` (default `spartan_demo`), and
 * `FRAMEWORK` (`express`, the default, `fastify` or `koa`).
 */
import { randomBytes } from 'node:crypto';
import { isSpartanError, type SessionStore } from '@spartan-sessions/core';
import { fetchSecret } from '@spartan-sessions/core/node';
import { MongoStore } from '@spartan-sessions/store-mongo';
import { RedisStore } from '@spartan-sessions/store-redis';
import { createDemoApp, FRAMEWORKS, type Framework, isFramework } from './app.js';
import { listenOnLocalhost } from './listen.js';

/** The secrets, and whether they were made up for this run (said after the start-up line). */
function secretsFromEnvironment(): { secrets: string[]; generated: boolean } {
  const { SESSION_SECRET, SESSION_SECRET_FILE } = process.env;
  if (!SESSION_SECRET && !SESSION_SECRET_FILE) {
    return { secrets: [randomBytes(32).toString('base64url')], generated: true };
  }
  return { secrets: fetchSecret('SESSION_SECRET'), generated: false };
}

function portFromEnvironment(): number {
  const text = process.env.PORT ?? '3000';
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new StartupError(`PORT must be a port number, not ${JSON.stringify(text)}`);
  }
  return port;
}

/** The store named by `STORE`: the embedded in-memory one, or Redis at `REDIS_URL`. */
function storeFromEnvironment(): { store: SessionStore | undefined; label: string } {
  const kind = process.env.STORE ?? 'memory';
  if (kind === 'memory') return { store: undefined, label: 'in-memory store' };
  if (kind === 'redis') {
    const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
    // The store owns a client it creates from a URL, and quits it on close().
    return { store: new RedisStore({ url, prefix: 'demo:' }), label: `Redis store at ${redactUrl(url)}` };
  }
  if (kind === 'mongo') {
    const url = process.env.MONGO_URL;
    if (!url) {
      throw new StartupError('STORE=mongo needs MONGO_URL, e.g. MONGO_URL=mongodb://127.0.0.1:27017/spartan_demo');
    }
    // The store owns the client it creates from a URL; manager.close() closes it.
    return {
      store: new MongoStore({ url, dbName: process.env.MONGO_DB ?? 'spartan_demo' }),
      label: `MongoDB store at ${redactUrl(url)}`,
    };
  }
  throw new StartupError(`STORE must be "memory", "redis" or "mongo", not ${JSON.stringify(kind)}`);
}

/** The framework named by `FRAMEWORK`. */
function frameworkFromEnvironment(): Framework {
  const name = process.env.FRAMEWORK ?? 'express';
  if (isFramework(name)) return name;
  throw new StartupError(
    `FRAMEWORK must be one of ${FRAMEWORKS.map((each) => `"${each}"`).join(', ')}, not ${JSON.stringify(name)}`,
  );
}

const FRAMEWORK_LABELS: Record<Framework, string> = { express: 'Express', fastify: 'Fastify', koa: 'Koa' };

/** A Redis or MongoDB URL without its password, for the start-up line. */
function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'the URL';
  }
}

/** A start-up problem worth one line, not a stack trace. */
class StartupError extends Error {}

async function main(): Promise<void> {
  const port = portFromEnvironment();
  const framework = frameworkFromEnvironment();
  const { store, label } = storeFromEnvironment();
  const secrets = secretsFromEnvironment();
  const { handler, manager, close } = await createDemoApp({
    framework,
    secrets: secrets.secrets,
    store,
    onEvent: (event) => {
      const parts = [
        event.type,
        event.userId && `user=${event.userId}`,
        event.keyHash && `key=${event.keyHash}`,
        event.reason && `reason=${event.reason}`,
      ];
      console.log(`  session ${parts.filter(Boolean).join(' ')}`);
    },
  });
  const server = await listenOnLocalhost(handler, port).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new StartupError(`port ${port} is in use: stop what runs there, or set PORT`);
    }
    throw error;
  });
  console.log(`• spartan-sessions demo (${FRAMEWORK_LABELS[framework]}, ${label}) on ${server.url}`);
  if (secrets.generated) {
    // Never printed: only the fact that it was generated.
    console.log('  SESSION_SECRET is not set: a random secret signs for this run (sessions end when the demo stops).');
  }
  const stop = async () => {
    await server.close();
    await close();
    await manager.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  // A SpartanError never carries a secret's value, so its message is safe to print.
  if (isSpartanError(error)) console.error(`✖ ${error.code}: ${error.message}`);
  else if (error instanceof StartupError) console.error(`✖ ${error.message}`);
  else console.error(error);
  process.exit(1);
});
