// In-memory stand-ins for the ports a CSRF guard talks to; used by the csrf tests only.
import type { Clock, CookieJar, CsrfRequest, CsrfSecretHolder, HeaderReader, RequestView } from '../../ports.js';

export interface FakeViewInit {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  encrypted?: boolean;
  body?: unknown;
}

/** A `RequestView` over a plain header record (names matched case-insensitively). */
export function fakeView(init: FakeViewInit = {}): RequestView {
  const headers = new Map(Object.entries(init.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]));
  const reader: HeaderReader = { get: (name) => headers.get(name.toLowerCase()) };
  const view: RequestView = {
    method: init.method ?? 'POST',
    path: init.path ?? '/',
    headers: reader,
    encrypted: init.encrypted ?? false,
  };
  if ('body' in init) view.body = init.body;
  return view;
}

/** A `CookieJar` with request cookies in `cookies` and what the response set in `set`. */
export class FakeJar implements CookieJar {
  readonly cookies: Map<string, string>;
  readonly set = new Map<string, string>();
  readonly headers = new Map<string, string>();

  constructor(cookies: Record<string, string> = {}) {
    this.cookies = new Map(Object.entries(cookies));
  }

  get(name: string): string | undefined {
    return this.cookies.get(name);
  }

  setCookie(name: string, serialized: string): void {
    this.set.set(name, serialized);
  }

  setHeader(name: string, value: string): void {
    this.headers.set(name.toLowerCase(), value);
  }

  /** The value part of the `Set-Cookie` line for `name`, to send back on a later request. */
  setValue(name: string): string | undefined {
    const line = this.set.get(name);
    if (line === undefined) return undefined;
    return line.slice(name.length + 1, line.indexOf(';') === -1 ? undefined : line.indexOf(';'));
  }
}

/** A session's CSRF secret slot. */
export class FakeHolder implements CsrfSecretHolder {
  secret: string | null;
  writes = 0;

  constructor(secret: string | null = null) {
    this.secret = secret;
  }

  getCsrfSecret(): string | null {
    return this.secret;
  }

  setCsrfSecret(secret: string): void {
    this.secret = secret;
    this.writes++;
  }
}

export interface FakeRequestInit extends FakeViewInit {
  cookies?: Record<string, string>;
  session?: CsrfSecretHolder;
}

/** One request as the guard sees it; `jar` is typed as the fake so tests can read `set`. */
export function fakeRequest(init: FakeRequestInit = {}): CsrfRequest & { jar: FakeJar } {
  const request: CsrfRequest & { jar: FakeJar } = { view: fakeView(init), jar: new FakeJar(init.cookies) };
  if (init.session !== undefined) request.session = init.session;
  return request;
}

/** A clock that only moves when told to. */
export function manualClock(start = 1_700_000_000_000): Clock & { advance(ms: number): void } {
  let now = start;
  return {
    now: () => now,
    advance(ms) {
      now += ms;
    },
  };
}
