import { describe } from 'vitest';
import { describeCookieTools } from './adapter-conformance/cookie-tools.js';
import { describeCsrf } from './adapter-conformance/csrf.js';
import { describeFailures } from './adapter-conformance/failures.js';
import { createStarter } from './adapter-conformance/fixture.js';
import { describePrivileged } from './adapter-conformance/privileged.js';
import { describeSessions } from './adapter-conformance/sessions.js';
import { STORE_KINDS } from './adapter-conformance/store.js';
import type { AdapterHarness } from './adapter-conformance/types.js';
import { describeUsers } from './adapter-conformance/users.js';

export type {
  AdapterHarness,
  KitApp,
  KitReply,
  KitRequest,
  KitRoute,
  KitServer,
  KitSpartanOptions,
} from './adapter-conformance/types.js';

/**
 * The adapter conformance kit: the HTTP-level behaviour every adapter (Express, Fastify, Koa)
 * must show, over real sockets to 127.0.0.1 with the global `fetch`. Each adapter runs it with a
 * harness that mounts the kit's apps on its framework:
 *
 * ```ts
 * describeAdapterConformance('Express 5', expressHarness(express));
 * ```
 *
 * The kit is framework-neutral: it never imports a framework, and an adapter that would need a
 * special case in it has a bug (in the adapter, or in core). Every test runs twice, once with
 * a store that has `MemoryStore`'s synchronous twins (core's synchronous path) and once with a
 * promise-only one (the asynchronous path). Time is a fake clock passed as `spartan({ clock })`;
 * nothing sleeps (the hanging-store tests wait on core's store timeout, set to 100 ms).
 */
export function describeAdapterConformance(name: string, harness: AdapterHarness): void {
  describe(`adapter conformance: ${name}`, () => {
    describe.each(STORE_KINDS)('$name', (kind) => {
      const context = { kind, start: createStarter(harness, kind) };
      describeSessions(context);
      describePrivileged(context);
      describeCsrf(context);
      describeCookieTools(context);
      describeFailures(context);
      describeUsers(context);
    });
  });
}
