/**
 * The demo application on Express, Fastify or Koa: the same pages (`site.ts`) and the same
 * sessions, one small file of framework translation each. `main.ts` runs it; the tests build
 * their own instances with a fake clock.
 */
import type { RequestListener } from 'node:http';
import { fileURLToPath } from 'node:url';
import {
  type Clock,
  type Policy,
  type SessionEvent,
  type SessionManager,
  type SessionStore,
  systemClock,
} from '@spartan-sessions/core';
import { readPolicySync } from '@spartan-sessions/core/node';
import { createExpressApp } from './express-app.js';
import { createFastifyApp } from './fastify-app.js';
import { createKoaApp } from './koa-app.js';
import { EventLog } from './site.js';
import { UserDirectory } from './users.js';

export { safeNext } from './site.js';

/** The demo's `security.json` (beside `src/` and `dist/`). */
export const POLICY_PATH = fileURLToPath(new URL('../security.json', import.meta.url));

export const FRAMEWORKS = ['express', 'fastify', 'koa'] as const;
export type Framework = (typeof FRAMEWORKS)[number];

export interface DemoAppOptions {
  /** @default 'express' */
  framework?: Framework;
  /** Session secrets (each at least 32 characters); the first signs. */
  secrets: string | readonly string[];
  /** A parsed policy. @default the demo's `security.json` */
  policy?: Policy;
  /** Where sessions live. @default the adapter's in-memory store */
  store?: SessionStore | undefined;
  /** Time source for sessions and pages (ms since the epoch); tests pass a fake clock. @default `Date.now` */
  clock?: Clock;
  /** Also receives every session event (the admin page keeps the latest ones). */
  onEvent?: (event: SessionEvent) => void;
}

/** What every framework's file gets: the options for its adapter's `spartan()` and the shared parts. */
export interface DemoAppParts {
  spartanOptions: {
    policy: Policy;
    secrets: string | readonly string[];
    clock: Clock;
    onEvent: (event: SessionEvent) => void;
    store?: SessionStore;
  };
  policy: Policy;
  clock: Clock;
  users: UserDirectory;
  events: EventLog;
}

/** A framework's app, ready to serve. */
export interface DemoServerApp {
  /** A Node.js request listener (`http.createServer(handler)`). */
  handler: RequestListener;
  manager: SessionManager;
  /** Stops the framework's own resources (not the manager's store). */
  close(): Promise<void>;
}

export interface DemoApp extends DemoServerApp {
  framework: Framework;
  users: UserDirectory;
  policy: Policy;
}

export function isFramework(value: string): value is Framework {
  return (FRAMEWORKS as readonly string[]).includes(value);
}

export async function createDemoApp(options: DemoAppOptions): Promise<DemoApp> {
  const framework = options.framework ?? 'express';
  const policy = options.policy ?? readPolicySync(POLICY_PATH);
  const clock = options.clock ?? systemClock;
  const users = new UserDirectory();
  const events = new EventLog();
  const parts: DemoAppParts = {
    spartanOptions: {
      policy,
      secrets: options.secrets,
      clock,
      onEvent: (event) => {
        events.push(event);
        options.onEvent?.(event);
      },
      ...(options.store !== undefined && { store: options.store }),
    },
    policy,
    clock,
    users,
    events,
  };
  const app =
    framework === 'fastify'
      ? await createFastifyApp(parts)
      : framework === 'koa'
        ? createKoaApp(parts)
        : createExpressApp(parts);
  return { ...app, framework, users, policy };
}
