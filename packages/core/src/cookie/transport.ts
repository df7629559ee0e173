import type { RequestView } from '../ports.js';

export interface TransportPolicy {
  /** Honour `X-Forwarded-Proto` (only behind a proxy you control). */
  trustProxy: boolean;
  /** Treat http://localhost, 127.0.0.1 and [::1] as secure, as browsers do (secure contexts). */
  localhostIsSecure: boolean;
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** The host name of a `Host` header, without the port, lower-cased. */
export function hostnameOf(host: string): string {
  const lower = host.trim().toLowerCase();
  if (lower.startsWith('[')) {
    const close = lower.indexOf(']');
    return close === -1 ? lower : lower.slice(0, close + 1);
  }
  const colon = lower.indexOf(':');
  return colon === -1 ? lower : lower.slice(0, colon);
}

/**
 * Whether a proxy core trusts (`transport.trustProxy`) says the client's request came over
 * https: the first value of `X-Forwarded-Proto` is the client-facing hop's protocol (later
 * values were appended by proxies further in). The only place that header is read.
 */
function cameOverHttps(view: RequestView, transport: TransportPolicy): boolean {
  if (!transport.trustProxy) return false;
  const forwarded = view.headers.get('x-forwarded-proto');
  if (forwarded === undefined) return false;
  const comma = forwarded.indexOf(',');
  return (comma === -1 ? forwarded : forwarded.slice(0, comma)).trim().toLowerCase() === 'https';
}

/**
 * Whether the request arrived over a connection the browser considers secure, i.e. whether a
 * `Secure` cookie set in the response will be kept.
 */
export function isSecureRequest(view: RequestView, transport: TransportPolicy): boolean {
  if (view.encrypted || cameOverHttps(view, transport)) return true;
  if (transport.localhostIsSecure) {
    const host = view.headers.get('host');
    if (host !== undefined) {
      const name = hostnameOf(host);
      if (LOOPBACK_HOSTS.has(name) || name.endsWith('.localhost')) return true;
    }
  }
  return false;
}

/** `host[:port]` as a browser serializes it in an `Origin`: a reg-name or IP literal, an optional port. */
const HOST_HEADER = /^(\[[0-9a-f:.]+\]|[a-z0-9._-]+)(?::(\d{1,5}))?$/;
const DEFAULT_PORT: Readonly<Record<string, string>> = { http: '80', https: '443' };

/**
 * The request's own origin, `scheme://host[:port]`, serialized as a browser would put it in an
 * `Origin` header (lower case, default port omitted) so the two compare with `===`. `null`
 * without a Host header or with one that is not a plain `host[:port]` (a path, userinfo, a list
 * from repeated headers): the CSRF check then fails closed instead of matching garbage.
 */
export function requestOrigin(view: RequestView, transport: TransportPolicy): string | null {
  const host = view.headers.get('host');
  if (host === undefined) return null;
  const match = HOST_HEADER.exec(host.trim().toLowerCase());
  if (match === null) return null;
  const scheme = view.encrypted || cameOverHttps(view, transport) ? 'https' : 'http';
  const port = match[2];
  return port === undefined || port === DEFAULT_PORT[scheme]
    ? `${scheme}://${match[1]}`
    : `${scheme}://${match[1]}:${port}`;
}
