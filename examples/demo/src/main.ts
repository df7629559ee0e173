/**
 * `npm start`: the demo on http://localhost:3000 with the embedded in-memory store.
 * Environment: `PORT` (default 3000), `SESSION_SECRET` / `SESSION_SECRET_FILE` /
 * `SESSION_SECRET_PREVIOUS` (without any, a random secret is made for this run).
 */
import { randomBytes } from 'node:crypto';
import { isSpartanError } from '@spartan-sessions/core';
import { fetchSecret } from '@spartan-sessions/core/node';
import { createDemoApp } from './app.js';
import { listenOnLocalhost } from './listen.js';

function secretsFromEnvironment(): string[] {
  const { SESSION_SECRET, SESSION_SECRET_FILE } = process.env;
  if (!SESSION_SECRET && !SESSION_SECRET_FILE) {
    // Never printed: only the fact that it was generated.
    console.log('• SESSION_SECRET is not set: using a random secret for this run (sessions end when the demo stops).');
    return [randomBytes(32).toString('base64url')];
  }
  return fetchSecret('SESSION_SECRET');
}

function portFromEnvironment(): number {
  const text = process.env.PORT ?? '3000';
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new StartupError(`PORT must be a port number, not ${JSON.stringify(text)}`);
  }
  return port;
}

/** A start-up problem worth one line, not a stack trace. */
class StartupError extends Error {}

async function main(): Promise<void> {
  const port = portFromEnvironment();
  const { app, manager } = createDemoApp({
    secrets: secretsFromEnvironment(),
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
  const server = await listenOnLocalhost(app, port).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new StartupError(`port ${port} is in use: stop what runs there, or set PORT`);
    }
    throw error;
  });
  console.log(`• spartan-sessions demo (Express, in-memory store) on ${server.url}`);
  const stop = async () => {
    await server.close();
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
