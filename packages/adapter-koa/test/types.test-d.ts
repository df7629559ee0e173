import Router from '@koa/router';
import type { MadeCookie, SessionCallback, SessionWithData } from '@spartan-sessions/core';
import Koa, { type Context, type Middleware, type ParameterizedContext } from 'koa';
import { describe, expectTypeOf, it } from 'vitest';
import { type KoaSessions, spartan } from '../src/index.js';

// The application types its session data by declaration merging, as with express-session.
declare module '../src/index.js' {
  interface SessionData {
    views: number;
  }
}

describe('context augmentation', () => {
  it('types ctx.session as core Session and ctx.csrfToken() as string, on every Koa context type', () => {
    expectTypeOf<Context['session']>().toEqualTypeOf<SessionWithData>();
    expectTypeOf<ParameterizedContext['session']>().toEqualTypeOf<SessionWithData>();
    expectTypeOf<
      ParameterizedContext<{ user: string }, { custom: number }>['session']
    >().toEqualTypeOf<SessionWithData>();
    expectTypeOf<Context['csrfToken']>().parameters.toEqualTypeOf<[]>();
    expectTypeOf<Context['csrfToken']>().returns.toEqualTypeOf<string>();
    // express-session's callback style, as koa-passport (Passport) calls it.
    expectTypeOf<Context['session']['regenerate']>().parameter(0).toEqualTypeOf<SessionCallback | undefined>();
    expectTypeOf<Context['session']['save']>().returns.toEqualTypeOf<Promise<void>>();
  });

  it('types the session data the application declared (SessionData), every key optional', () => {
    const app = new Koa();
    app.use((ctx) => {
      expectTypeOf(ctx.session.views).toEqualTypeOf<number | undefined>();
      ctx.session.views = (ctx.session.views ?? 0) + 1;
      // @ts-expect-error: views is a number
      ctx.session.views = 'many';
      expectTypeOf(ctx.session.undeclared).toEqualTypeOf<unknown>();
    });
  });

  it('needs no cast in application code, with Koa or @koa/router', () => {
    const app = new Koa();
    app.use(async (ctx) => {
      expectTypeOf(ctx.session).toEqualTypeOf<SessionWithData>();
      await ctx.session.authenticate('alice');
      expectTypeOf(ctx.csrfToken()).toEqualTypeOf<string>();
    });
    const router = new Router();
    router.get('/', (ctx) => {
      expectTypeOf(ctx.session).toEqualTypeOf<SessionWithData>();
      expectTypeOf(ctx.session.meta.userId).toEqualTypeOf<string | null>();
    });
  });

  it('types the module object', () => {
    const { sessions } = spartan({ secrets: 'x'.repeat(32) });
    expectTypeOf(sessions).toEqualTypeOf<KoaSessions>();
    expectTypeOf(sessions.sessioner).toEqualTypeOf<Middleware>();
    expectTypeOf(sessions.csrf({ cookie: true })).toEqualTypeOf<Middleware>();
    const handler = (ctx: Context) => {
      expectTypeOf(sessions.cookieMaker(ctx.request, ctx.response, { name: 'a', value: 'b' })).toEqualTypeOf<
        Promise<MadeCookie>
      >();
      expectTypeOf(sessions.cookieMaker(ctx, ctx, { name: 'a', value: 'b' }, () => {})).toEqualTypeOf<
        Promise<MadeCookie | undefined>
      >();
      expectTypeOf(sessions.cookieReader(ctx.request).sealed('a')).toEqualTypeOf<Promise<unknown>>();
      expectTypeOf(sessions.cookieReader(ctx).get('a')).toEqualTypeOf<string | undefined>();
    };
    expectTypeOf(handler).toBeFunction();
    // @ts-expect-error: `cookie` must be a boolean
    sessions.csrf({ cookie: 'yes' });
  });
});
