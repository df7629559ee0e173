/**
 * express-session's options, and what to use instead. An app ported from express-session often
 * keeps passing them; in plain JavaScript nothing would flag `secret` or `cookie.maxAge` being
 * ignored, and the session would run on defaults the developer believes they changed. So each
 * is refused (`sessions/option-type-incorrect`, like any unknown option) with a message that
 * names the replacement. docs/migrating-from-express-session.md has the same table.
 */
export const EXPRESS_SESSION_OPTIONS: Readonly<Record<string, string>> = {
  secret: 'use `secrets` (a string or an array: the first signs, all verify; each at least 32 characters)',
  name: "the cookie name is the policy's `config.name` in security.json (without a prefix: `config.cookies.prefix` adds `__Host-`)",
  cookie:
    'cookie attributes come from the policy: `config.cookies` (httpOnly, secure, sameSite, prefix), `config.path`, `config.domain`; the lifetime is `config.duration.ttl` in seconds; for one session, `req.session.cookie.maxAge` or `session.setCookieLifetime()`',
  rolling:
    'not needed: activity always extends the idle limit (`config.duration.idle`, seconds), written to the store at most every `config.duration.touchAfter` seconds',
  resave:
    'not needed: a session is written only when its data changed or `touchAfter` has passed, by compare-and-set, so parallel requests lose nothing',
  saveUninitialized: 'not needed: sessions are lazy, with no record and no cookie until they hold data or a user',
  genid:
    'not supported: session ids are 256 bits from the CSPRNG, signed with `secrets`; the store only sees their hash',
  proxy: "use the policy's `config.transport.trustProxy` (honours X-Forwarded-Proto)",
  unset: 'not needed: end a session with `req.session.destroy()`',
};

/**
 * A store written for express-session (connect-redis, connect-mongo, …) extends its `Store`:
 * callback verbs and `createSession`/`load`/`regenerate` helpers, none of the promise port.
 */
export function isExpressSessionStore(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const store = value as Record<string, unknown>;
  return typeof store.createSession === 'function' && typeof store.load === 'function';
}

export const EXPRESS_SESSION_STORE_HINT =
  'an express-session store (connect-redis, connect-mongo, …) does not fit: use `RedisStore` from @spartan-sessions/store-redis or `MongoStore` from @spartan-sessions/store-mongo';
