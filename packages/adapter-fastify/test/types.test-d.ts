import type { MadeCookie, Session, SessionCallback } from '@spartan-sessions/core';
import type { FastifyPluginCallback, FastifyReply, FastifyRequest, preHandlerHookHandler } from 'fastify';
import { describe, expectTypeOf, it } from 'vitest';
import { type FastifySessions, spartan } from '../src/index.js';

// The user narrows the session data by declaration merging.
declare module '../src/index.js' {
  interface SessionData {
    cart: string[];
    theme: 'dark' | 'light';
  }
}

describe('declaration merging', () => {
  it('types request.session as core Session with get/set/delete, and reply.csrfToken() as string', () => {
    expectTypeOf<FastifyRequest['session']>().toMatchTypeOf<Session>();
    expectTypeOf<FastifyReply['csrfToken']>().parameters.toEqualTypeOf<[]>();
    expectTypeOf<FastifyReply['csrfToken']>().returns.toEqualTypeOf<string>();
    expectTypeOf<FastifyRequest['session']['regenerate']>().parameter(0).toEqualTypeOf<SessionCallback | undefined>();
    expectTypeOf<FastifyRequest['session']['save']>().returns.toEqualTypeOf<Promise<void>>();
  });

  it('narrows the session data the user declared', () => {
    const handler = (request: FastifyRequest) => {
      expectTypeOf(request.session.cart).toEqualTypeOf<string[] | undefined>();
      expectTypeOf(request.session.get('theme')).toEqualTypeOf<'dark' | 'light' | undefined>();
      request.session.set('theme', 'dark');
      // @ts-expect-error: not a theme
      request.session.set('theme', 'blue');
      // @ts-expect-error: not a theme
      request.session.theme = 'blue';
      // Undeclared keys stay open, as unknown.
      expectTypeOf(request.session.anything).toEqualTypeOf<unknown>();
      request.session.delete('cart');
    };
    expectTypeOf(handler).toBeFunction();
  });

  it('types the module object', () => {
    const { sessions } = spartan({ secrets: 'x'.repeat(32) });
    expectTypeOf(sessions).toEqualTypeOf<FastifySessions>();
    expectTypeOf(sessions.sessioner).toEqualTypeOf<FastifyPluginCallback>();
    expectTypeOf(sessions.csrf({ cookie: true })).toEqualTypeOf<preHandlerHookHandler>();
    const handler = (request: FastifyRequest, reply: FastifyReply) => {
      expectTypeOf(sessions.cookieMaker(request, reply, { name: 'a', value: 'b' })).toEqualTypeOf<
        Promise<MadeCookie>
      >();
      expectTypeOf(sessions.cookieMaker(request, reply, { name: 'a', value: 'b' }, () => {})).toEqualTypeOf<
        Promise<MadeCookie | undefined>
      >();
      expectTypeOf(sessions.cookieReader(request).sealed('a')).toEqualTypeOf<Promise<unknown>>();
    };
    expectTypeOf(handler).toBeFunction();
    // @ts-expect-error: `cookie` must be a boolean
    sessions.csrf({ cookie: 'yes' });
  });
});
