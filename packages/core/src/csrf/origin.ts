import { requestOrigin, type TransportPolicy } from '../cookie/transport.js';
import { SpartanError } from '../errors/errors.js';
import type { RequestView } from '../ports.js';

/** The part of a policy's `config` the origin check reads (a `PolicyConfig` fits). */
export interface OriginPolicy {
  readonly csrf: { readonly trustedOrigins: readonly string[] };
  readonly transport: TransportPolicy;
}

/** Why an unsafe request was refused as cross-origin (safe to log: names a rule, not a value). */
export type OriginRejectionReason =
  | 'sec-fetch-site-same-site'
  | 'sec-fetch-site-cross-site'
  | 'sec-fetch-site-unknown'
  | 'origin-malformed'
  | 'origin-mismatch'
  | 'referer-malformed'
  | 'referer-mismatch';

export type OriginCheckResult = { readonly ok: true } | { readonly ok: false; readonly reason: OriginRejectionReason };

/** A check of one request's origin, built once per policy by `createOriginCheck`. */
export type OriginCheck = (view: RequestView) => OriginCheckResult;

/**
 * RFC 6454 §6.1 serialized origin: `scheme "://" host [ ":" port ]`, nothing else. Userinfo
 * (`@`), a path (even a lone `/`), a query, whitespace, percent-escapes and the opaque origin
 * `null` do not match. Linear: no nested quantifiers, anchored at both ends.
 */
const SERIALIZED_ORIGIN = /^([a-z][a-z0-9+.-]*):\/\/(\[[0-9a-f:.]+\]|[a-z0-9._-]+)(?::(\d{1,5}))?$/i;

const PASS: OriginCheckResult = Object.freeze({ ok: true });
const rejection = (reason: OriginRejectionReason): OriginCheckResult => Object.freeze({ ok: false, reason });
const REJECT = {
  sameSite: rejection('sec-fetch-site-same-site'),
  crossSite: rejection('sec-fetch-site-cross-site'),
  unknownSite: rejection('sec-fetch-site-unknown'),
  originMalformed: rejection('origin-malformed'),
  originMismatch: rejection('origin-mismatch'),
  refererMalformed: rejection('referer-malformed'),
  refererMismatch: rejection('referer-mismatch'),
} as const;

/**
 * The canonical form of a serialized origin, for comparison: scheme and host lower-cased, the
 * default port of http (80) and https (443) dropped, so `HTTPS://A.example:443` and
 * `https://a.example` compare equal. `null` for anything that is not a plain
 * `scheme://host[:port]`. Never throws.
 */
export function normalizeOrigin(value: string): string | null {
  const match = SERIALIZED_ORIGIN.exec(value);
  if (match === null) return null;
  const scheme = match[1]!.toLowerCase();
  const host = match[2]!.toLowerCase();
  const portText = match[3];
  if (portText === undefined) return `${scheme}://${host}`;
  const port = Number(portText);
  if (port > 65535) return null;
  if ((scheme === 'https' && port === 443) || (scheme === 'http' && port === 80)) return `${scheme}://${host}`;
  return `${scheme}://${host}:${port}`;
}

/**
 * The origin of a `Referer` URL, normalized; `null` when it cannot be parsed. Hand-parsed (no
 * `new URL` per request): the authority runs from `://` to the first `/`, `?` or `#` and must
 * then be a plain `host[:port]`. This is stricter than the URL parser: userinfo, backslashes
 * or percent-escapes in the authority (which browsers never send) make the Referer unparseable
 * rather than being reinterpreted, so it can only fail closed.
 */
function refererOrigin(referer: string): string | null {
  const separator = referer.indexOf('://');
  if (separator <= 0) return null;
  let end = referer.length;
  for (let i = separator + 3; i < referer.length; i++) {
    const code = referer.charCodeAt(i);
    if (code === 0x2f || code === 0x3f || code === 0x23) {
      end = i;
      break;
    }
  }
  return normalizeOrigin(referer.slice(0, end));
}

/**
 * Builds the origin check of SPEC §7 for a policy; the trusted origins are normalized once
 * here. Run it for unsafe methods only (the check itself does not look at the method):
 *
 * 1. `Sec-Fetch-Site` present (Fetch Metadata, W3C): `same-origin` and `none` (a user-typed
 *    navigation) pass; `same-site`, `cross-site` and any other value fail unless `Origin` is one
 *    of `trustedOrigins`. A same-site sibling is not trusted: subdomains are often less
 *    trustworthy than the app (user content, takeover).
 * 2. Otherwise `Origin` (RFC 6454) must be a plain `scheme://host[:port]` equal to the request's
 *    own origin (scheme from the socket or, with `trustProxy`, `X-Forwarded-Proto`; host from
 *    `Host`) or to a trusted origin. `null`, userinfo or a path fail.
 * 3. Otherwise the origin of `Referer` must match the same way; an unparseable one fails.
 * 4. None of the three: not a browser (browsers send `Origin` on every unsafe request), so
 *    there is no ambient-credential attack to stop here and the token decides.
 *
 * Throws `sessions/invalid-policy` when a trusted origin is not an exact `scheme://host[:port]`
 * (`parsePolicy` already refuses those; this guards hand-built configs).
 */
export function createOriginCheck(policy: OriginPolicy): OriginCheck {
  const trusted = new Set<string>();
  policy.csrf.trustedOrigins.forEach((origin, index) => {
    const normalized = normalizeOrigin(origin);
    if (normalized === null) {
      const path = `config.csrf.trustedOrigins.${index}`;
      const message = 'must be an exact scheme://host[:port]';
      throw new SpartanError('sessions/invalid-policy', `The security policy is invalid: ${path}: ${message}`, {
        issues: [{ path, message }],
      });
    }
    trusted.add(normalized);
  });
  const transport: TransportPolicy = {
    trustProxy: policy.transport.trustProxy,
    localhostIsSecure: policy.transport.localhostIsSecure,
  };

  const isTrusted = (origin: string | undefined): boolean => {
    if (origin === undefined || trusted.size === 0) return false;
    const normalized = normalizeOrigin(origin);
    return normalized !== null && trusted.has(normalized);
  };
  const isOwnOrTrusted = (normalized: string, view: RequestView): boolean => {
    if (trusted.has(normalized)) return true;
    const own = requestOrigin(view, transport);
    return own !== null && normalizeOrigin(own) === normalized;
  };

  return (view) => {
    const headers = view.headers;
    const site = headers.get('sec-fetch-site');
    if (site !== undefined) {
      const value = site.toLowerCase();
      if (value === 'same-origin' || value === 'none') return PASS;
      if (isTrusted(headers.get('origin'))) return PASS;
      // An unknown value is not a browser we understand: fail closed (as Go's
      // CrossOriginProtection does) rather than fall back to weaker headers.
      return value === 'cross-site' ? REJECT.crossSite : value === 'same-site' ? REJECT.sameSite : REJECT.unknownSite;
    }
    const origin = headers.get('origin');
    if (origin !== undefined) {
      const normalized = normalizeOrigin(origin);
      if (normalized === null) return REJECT.originMalformed;
      return isOwnOrTrusted(normalized, view) ? PASS : REJECT.originMismatch;
    }
    const referer = headers.get('referer');
    if (referer !== undefined) {
      const normalized = refererOrigin(referer);
      if (normalized === null) return REJECT.refererMalformed;
      return isOwnOrTrusted(normalized, view) ? PASS : REJECT.refererMismatch;
    }
    return PASS;
  };
}

/** Checks built by `checkRequestOrigin`, one per policy object (policies are frozen). */
const checks = new WeakMap<OriginPolicy, OriginCheck>();

/**
 * The origin check of SPEC §7 for one request (see `createOriginCheck`); the per-policy work is
 * done on the first call and remembered for that (frozen) policy object. Never throws on any
 * header value.
 */
export function checkRequestOrigin(view: RequestView, policy: OriginPolicy): OriginCheckResult {
  let check = checks.get(policy);
  if (check === undefined) {
    check = createOriginCheck(policy);
    checks.set(policy, check);
  }
  return check(view);
}
