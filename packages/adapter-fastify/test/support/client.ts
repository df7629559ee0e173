import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';

export const SECRET = 'adapter-fastify-test-secret-0123456789abcdef';
export const SESSION_COOKIE = '__Host-spartan';

/** `Set-Cookie` lines of a response, as sent. */
export function setCookieLines(response: LightMyRequestResponse): string[] {
  const lines = response.headers['set-cookie'];
  if (lines === undefined) return [];
  return Array.isArray(lines) ? lines : [lines];
}

/** The `Set-Cookie` lines naming `name`. */
export function linesOf(response: LightMyRequestResponse, name: string): string[] {
  return setCookieLines(response).filter((line) => line.startsWith(`${name}=`));
}

/** A cookie-keeping client over `app.inject` (what a browser does with cookies, nothing more). */
export class Client {
  readonly cookies = new Map<string, string>();
  readonly #app: FastifyInstance;

  constructor(app: FastifyInstance) {
    this.#app = app;
  }

  get session(): string | undefined {
    return this.cookies.get(SESSION_COOKIE);
  }

  async request(options: InjectOptions): Promise<LightMyRequestResponse> {
    const headers: Record<string, string> = { ...(options.headers as Record<string, string> | undefined) };
    if (this.cookies.size > 0 && headers.cookie === undefined) {
      headers.cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    }
    const response = await this.#app.inject({ ...options, headers });
    for (const cookie of response.cookies as Array<{ name: string; value: string; maxAge?: number; expires?: Date }>) {
      const gone = cookie.maxAge === 0 || (cookie.expires !== undefined && cookie.expires.getTime() <= Date.now());
      if (gone) this.cookies.delete(cookie.name);
      else this.cookies.set(cookie.name, cookie.value);
    }
    return response;
  }

  get(url: string, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
    return this.request({ method: 'GET', url, headers });
  }

  post(url: string, form: Record<string, string> = {}, headers: Record<string, string> = {}) {
    return this.request({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      payload: new URLSearchParams(form).toString(),
    });
  }
}
