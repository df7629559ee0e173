import { CookiePolicy } from '../cookie/cookie-policy.js';
import { isSecureRequest } from '../cookie/transport.js';
import { SpartanError } from '../errors/errors.js';
import type { Policy } from '../policy/policy.js';
import type { RequestView } from '../ports.js';

/** Writes the session cookie's `Set-Cookie` lines; built once per manager from the cookie policy. */
export interface SessionCookieWriter {
  /** The cookie name with its prefix. */
  readonly name: string;
  /** Whether the cookie carries `Secure` (then it must not be set over an insecure connection). */
  readonly secure: boolean;
  /**
   * The line that sets the cookie to `value` until `expiresAt` (ms: the session's absolute end,
   * or the session's own shorter cookie lifetime); `null` for a browser-session cookie.
   */
  serialize(value: string, expiresAt: number | null): string;
  /** The line that clears it (same name, path, domain, prefix). */
  serializeClear(): string;
  /**
   * Throws `session/insecure-connection` when the cookie is Secure and `view` did not come over
   * a connection core considers secure: the browser would drop the cookie silently.
   */
  assertTransport(view: RequestView): void;
}

export function createSessionCookieWriter(policy: Policy): SessionCookieWriter {
  const cookiePolicy = new CookiePolicy(policy);
  const secure = policy.config.cookies.secure;
  const { transport } = policy.config;
  return {
    name: cookiePolicy.sessionCookieName,
    secure,
    serialize: (value, expiresAt) => cookiePolicy.serializeSessionCookie(value, expiresAt),
    serializeClear: () => cookiePolicy.serializeSessionCookieClear(),
    assertTransport(view) {
      if (secure && !isSecureRequest(view, transport)) {
        throw new SpartanError(
          'session/insecure-connection',
          'The session cookie is Secure but this request came over plain HTTP: serve over HTTPS, or set transport.trustProxy behind a TLS-terminating proxy',
        );
      }
    },
  };
}
