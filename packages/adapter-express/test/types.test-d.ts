import type { MadeCookie, Session, SessionCallback } from '@spartan-sessions/core';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { describe, expectTypeOf, it } from 'vitest';
import { type ExpressSessions, spartan } from '../src/index.js';

describe('declaration merging', () => {
  it('types req.session as core Session, req.sessionID as string, req.csrfToken() as string', () => {
    expectTypeOf<Request['session']>().toEqualTypeOf<Session>();
    expectTypeOf<Request['sessionID']>().toEqualTypeOf<string>();
    expectTypeOf<Request['csrfToken']>().parameters.toEqualTypeOf<[]>();
    expectTypeOf<Request['csrfToken']>().returns.toEqualTypeOf<string>();
    // express-session's callback style, as Passport calls it.
    expectTypeOf<Request['session']['regenerate']>().parameter(0).toEqualTypeOf<SessionCallback | undefined>();
    expectTypeOf<Request['session']['save']>().returns.toEqualTypeOf<Promise<void>>();
  });

  it('types the module object', () => {
    const { sessions } = spartan({ secrets: 'x'.repeat(32) });
    expectTypeOf(sessions).toEqualTypeOf<ExpressSessions>();
    expectTypeOf(sessions.sessioner).toEqualTypeOf<RequestHandler>();
    expectTypeOf(sessions.csrf({ cookie: true })).toEqualTypeOf<RequestHandler>();
    const handler = (req: Request, res: Response, _next: NextFunction) => {
      expectTypeOf(sessions.cookieMaker(req, res, { name: 'a', value: 'b' })).toEqualTypeOf<Promise<MadeCookie>>();
      expectTypeOf(sessions.cookieMaker(req, res, { name: 'a', value: 'b' }, () => {})).toEqualTypeOf<
        Promise<MadeCookie | undefined>
      >();
      expectTypeOf(sessions.cookieReader(req).sealed('a')).toEqualTypeOf<Promise<unknown>>();
    };
    expectTypeOf(handler).toBeFunction();
    // @ts-expect-error: `cookie` must be a boolean
    sessions.csrf({ cookie: 'yes' });
  });
});
