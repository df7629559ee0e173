import type { Policy } from '@spartan-sessions/core';
import { CookiePolicy } from '@spartan-sessions/core/adapter';
import { type DoctorFinding, duration, finding } from './findings.js';

/**
 * Ranges from the OWASP Session Management Cheat Sheet ("Session Expiration"): idle timeouts of
 * 2–5 minutes for high-value applications and 15–30 minutes for low-risk ones; an absolute
 * timeout of 4–8 hours for an application used through a working day. Durations in seconds.
 */
export const OWASP_RANGES = {
  /** Over this, `duration.idle` is longer than OWASP's low-risk range. */
  idleMax: 30 * 60,
  /** Under this, users are signed out while reading a page (usability, not security). */
  idleMin: 2 * 60,
  /** Over this, `duration.ttl` is longer than a working day. */
  absoluteMax: 8 * 3600,
  /** Over this, `privileged.idle` is longer than OWASP's high-value range. */
  privilegedIdleMax: 5 * 60,
  /** Over this, `privileged.reauthAfter` lets a stale sign-in act in a privileged area. */
  reauthAfterMax: 15 * 60,
} as const;

const LOOPBACK_ORIGIN = /^http:\/\/(localhost|[a-z0-9-]+\.localhost|127(\.\d{1,3}){3}|\[::1\])(:\d+)?$/i;

/** Grades a valid policy against OWASP session guidance; one finding per check. */
export function gradePolicy(policy: Policy): DoctorFinding[] {
  const { config } = policy;
  const { cookies, duration: durations, privileged, csrf } = config;
  const findings: DoctorFinding[] = [];
  const add = (...args: Parameters<typeof finding>) => findings.push(finding(...args));

  if (!policy.sessionPolicy.enabled) {
    add('session.enabled', 'error', 'session management is disabled: spartan() refuses to start', {
      path: 'sessionPolicy.enabled',
      code: 'sessions/disabled-by-policy',
    });
  }

  // Cookie attributes (cheat sheet, "Cookies").
  if (cookies.httpOnly) add('cookie.httpOnly', 'ok', 'HttpOnly: scripts cannot read the session cookie');
  else
    add('cookie.httpOnly', 'error', 'httpOnly is false: any script (an XSS) can read and send away the session id', {
      path: 'config.cookies.httpOnly',
    });
  if (cookies.secure) add('cookie.secure', 'ok', 'Secure: the session cookie never travels over plain http');
  else
    add('cookie.secure', 'error', 'secure is false: the session id crosses the network in clear over http', {
      path: 'config.cookies.secure',
    });
  if (cookies.sameSite === 'none') {
    add(
      'cookie.sameSite',
      'warning',
      'sameSite "none": the cookie rides along on cross-site requests; CSRF protection then rests on tokens and origin checks alone',
      { path: 'config.cookies.sameSite' },
    );
  } else {
    add('cookie.sameSite', 'ok', `SameSite=${cookies.sameSite === 'strict' ? 'Strict' : 'Lax'}`);
  }

  const cookieName = new CookiePolicy(policy).sessionCookieName;
  if (cookieName.startsWith('__Host-')) {
    add('cookie.prefix', 'ok', `cookie ${cookieName}: bound to this host (Secure, Path=/, no Domain)`);
  } else if (cookieName.startsWith('__Secure-')) {
    add(
      'cookie.prefix',
      'info',
      `cookie ${cookieName}: __Secure- only; __Host- (path "/", no domain) would also stop a subdomain from planting it`,
      { path: 'config.cookies.prefix' },
    );
  } else {
    add(
      'cookie.prefix',
      'warning',
      `cookie ${cookieName} has no __Host- prefix: a sibling subdomain or a plain-http page can plant or shadow it`,
      { path: config.domain !== null ? 'config.domain' : 'config.cookies.prefix' },
    );
  }
  if (config.domain !== null) {
    add(
      'cookie.domain',
      'warning',
      `domain "${config.domain}": every subdomain receives the session cookie (OWASP: leave Domain unset)`,
      { path: 'config.domain' },
    );
  }
  if (config.name === 'spartan') {
    add(
      'cookie.name',
      'info',
      'the default cookie name tells a scanner which library runs (OWASP: a generic name such as "id")',
      { path: 'config.name' },
    );
  }

  // Timeouts (cheat sheet, "Session Expiration").
  if (durations.ttl > OWASP_RANGES.absoluteMax) {
    add(
      'timeout.absolute',
      'warning',
      `absolute timeout ${duration(durations.ttl)} is longer than the 4–8 h OWASP gives for a working day`,
      { path: 'config.duration.ttl' },
    );
  } else {
    add('timeout.absolute', 'ok', `absolute timeout ${duration(durations.ttl)} (OWASP: 4–8 h for a working day)`);
  }
  if (durations.idle > OWASP_RANGES.idleMax) {
    add(
      'timeout.idle',
      'warning',
      `idle timeout ${duration(durations.idle)} is over OWASP's 15–30 min for low-risk applications (2–5 min for high-value ones)`,
      { path: 'config.duration.idle' },
    );
  } else if (durations.idle < OWASP_RANGES.idleMin) {
    add('timeout.idle', 'info', `idle timeout ${duration(durations.idle)} signs users out while they read a page`, {
      path: 'config.duration.idle',
    });
  } else {
    add(
      'timeout.idle',
      'ok',
      `idle timeout ${duration(durations.idle)} (OWASP: 15–30 min low-risk, 2–5 min high-value)`,
    );
  }
  if (durations.renewal === 0) {
    add(
      'timeout.renewal',
      'warning',
      'renewal is 0: the id never rotates during a session (OWASP: renew it periodically)',
      {
        path: 'config.duration.renewal',
      },
    );
  } else if (durations.renewal >= durations.ttl) {
    add(
      'timeout.renewal',
      'warning',
      `renewal ${duration(durations.renewal)} is not shorter than the absolute timeout: the id never rotates`,
      { path: 'config.duration.renewal' },
    );
  } else {
    add('timeout.renewal', 'ok', `the id rotates every ${duration(durations.renewal)}`);
  }
  const shortestIdle = privileged.paths.length > 0 ? Math.min(durations.idle, privileged.idle) : durations.idle;
  if (durations.touchAfter >= shortestIdle) {
    add(
      'timeout.touchAfter',
      'warning',
      `touchAfter ${duration(durations.touchAfter)} is not shorter than the idle limit ${duration(shortestIdle)}: active users time out`,
      { path: 'config.duration.touchAfter' },
    );
  }

  // Privileged areas: a shorter idle limit, rotation on entry, re-authentication.
  if (privileged.paths.length === 0) {
    add(
      'privileged.areas',
      'info',
      'no privileged areas: list admin and account-settings paths in privileged.paths for re-authentication and a shorter idle limit there',
      { path: 'config.privileged.paths' },
    );
  } else {
    add('privileged.areas', 'ok', `privileged areas: ${privileged.paths.join(', ')}`);
    if (privileged.idle > OWASP_RANGES.privilegedIdleMax) {
      add(
        'privileged.idle',
        'warning',
        `privileged idle timeout ${duration(privileged.idle)} is over OWASP's 2–5 min for high-value applications`,
        { path: 'config.privileged.idle' },
      );
    } else {
      add('privileged.idle', 'ok', `privileged idle timeout ${duration(privileged.idle)}`);
    }
    if (privileged.reauthAfter > OWASP_RANGES.reauthAfterMax) {
      add(
        'privileged.reauthAfter',
        'warning',
        `re-authentication only after ${duration(privileged.reauthAfter)}: a sign-in that old still acts in the privileged area`,
        { path: 'config.privileged.reauthAfter' },
      );
    } else {
      add('privileged.reauthAfter', 'ok', `re-authentication after ${duration(privileged.reauthAfter)}`);
    }
  }

  // CSRF.
  if (csrf.mode === 'report') {
    add(
      'csrf.mode',
      'warning',
      'csrf.mode "report": forged requests are only reported, not refused (for a staged rollout)',
      {
        path: 'config.csrf.mode',
      },
    );
  } else {
    add('csrf.mode', 'ok', 'CSRF checks enforced');
  }
  const insecureOrigins = csrf.trustedOrigins.filter((origin) => origin.toLowerCase().startsWith('http://'));
  csrf.trustedOrigins.forEach((origin, index) => {
    if (!origin.toLowerCase().startsWith('http://')) return;
    const path = `config.csrf.trustedOrigins.${index}`;
    if (LOOPBACK_ORIGIN.test(origin)) {
      add('csrf.trustedOrigins', 'warning', `${origin} is trusted over plain http (loopback: development only)`, {
        path,
      });
    } else {
      add(
        'csrf.trustedOrigins',
        'error',
        `${origin} is trusted over plain http: anyone on the network path can send forged writes as that origin (https only)`,
        { path },
      );
    }
  });
  if (insecureOrigins.length === 0) {
    add(
      'csrf.trustedOrigins',
      'ok',
      csrf.trustedOrigins.length === 0
        ? 'no other origin may send unsafe requests'
        : `trusted origins over https only (${csrf.trustedOrigins.length})`,
    );
  }

  // Logout, concurrent sessions, transport.
  if (config.logout.clearSiteData.length === 0) {
    add('logout.clearSiteData', 'info', 'logout sends no Clear-Site-Data: the browser keeps cached private pages', {
      path: 'config.logout.clearSiteData',
    });
  } else {
    add('logout.clearSiteData', 'ok', `logout sends Clear-Site-Data: ${config.logout.clearSiteData.join(', ')}`);
  }
  if (config.users.maxSessions === 0) {
    add('users.maxSessions', 'info', 'no limit on concurrent sessions per user', { path: 'config.users.maxSessions' });
  } else {
    add('users.maxSessions', 'ok', `at most ${config.users.maxSessions} concurrent session(s) per user`);
  }
  if (config.transport.trustProxy) {
    add(
      'transport.trustProxy',
      'info',
      'X-Forwarded-Proto is trusted: only right behind your own TLS-terminating proxy',
      { path: 'config.transport.trustProxy' },
    );
  }
  return findings;
}
