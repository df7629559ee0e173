import type { MadeCookie, Session, SessionCallback, SessionWithData } from '@spartan-sessions/core';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { describe, expectTypeOf, it } from 'vitest';
import { type ExpressSessions, spartan } from '../src/index.js';

// The application types its session data by declaration merging, as with express-session.
declare module '../src/index.js' {
  interface SessionData {
    views: number;
    account: { id: string; name: string };
  }
}

describe('declaration merging', () => {
  it('types req.session as core Session, req.sessionID as string, req.csrfToken() as string', () => {
    expectTypeOf<Request['session']>().toEqualTypeOf<SessionWithData>();
    expectTypeOf<Request['session']>().toMatchTypeOf<Session>();
    expectTypeOf<Request['sessionID']>().toEqualTypeOf<string>();
    expectTypeOf<Request['csrfToken']>().parameters.toEqualTypeOf<[]>();
    expectTypeOf<Request['csrfToken']>().returns.toEqualTypeOf<string>();
    // express-session's callback style, as Passport calls it.
    expectTypeOf<Request['session']['regenerate']>().parameter(0).toEqualTypeOf<SessionCallback | undefined>();
    expectTypeOf<Request['session']['save']>().returns.toEqualTypeOf<Promise<void>>();
  });

  it('types the session data the application declared (SessionData), every key optional', () => {
    const handler = (req: Request, res: Response) => {
      expectTypeOf(req.session.views).toEqualTypeOf<number | undefined>();
      // The README's counter compiles (TS2365 when the data is `unknown`).
      req.session.views = (req.session.views ?? 0) + 1;
      expectTypeOf(req.session.account?.name).toEqualTypeOf<string | undefined>();
      // @ts-expect-error: views is a number
      req.session.views = 'many';
      // @ts-expect-error: a user has an id and a name
      req.session.account = { id: 'u1' };
      // Undeclared keys stay open, as unknown (Passport's `passport` key among them).
      expectTypeOf(req.session.passport).toEqualTypeOf<unknown>();
      // express-session's remember-me line: req.session.cookie.maxAge in milliseconds.
      expectTypeOf(req.session.cookie.maxAge).toEqualTypeOf<number | null>();
      req.session.cookie.maxAge = 30 * 86_400_000;
      req.session.setCookieLifetime('browser-session');
      // @ts-expect-error: a lifetime is seconds, 'browser-session' or 'policy'
      req.session.setCookieLifetime('forever');
      res.send(String(req.session.views));
    };
    expectTypeOf(handler).toBeFunction();
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
