// A tiny HTTP client for setting sessions up (log-ins, CSRF tokens) and reading results back:
// one cookie jar per simulated visitor, the Host header the load generator sends too.
import http from 'node:http';

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

/** One request to 127.0.0.1:`port`; resolves `{ status, body, setCookies }`. */
export function request(port, path, { method = 'GET', headers = {}, timeoutMs = 10_000 } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path, method, headers: { host: `127.0.0.1:${port}`, ...headers }, agent },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode, body, setCookies: res.headers['set-cookie'] ?? [] }));
        res.on('error', reject);
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${path} timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** A browser's cookie jar, reduced to what the benchmark needs: names, values, deletions. */
export class CookieJar {
  #cookies = new Map();

  /** Applies a response's `Set-Cookie` lines (an expired or empty cookie is removed). */
  update(setCookies) {
    for (const line of setCookies) {
      const [pair, ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some((attribute) => {
        const [key, raw = ''] = attribute.trim().split('=');
        if (key.toLowerCase() === 'max-age') return Number(raw) <= 0;
        if (key.toLowerCase() === 'expires') return Date.parse(raw) <= Date.now();
        return false;
      });
      if (expired || value === '') this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
  }

  get size() {
    return this.#cookies.size;
  }

  /** The `Cookie` request header. */
  header() {
    return [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

/** A request with the jar's cookies that updates the jar; throws unless the status is 2xx. */
export async function visit(port, jar, path, options = {}) {
  const headers = { ...options.headers };
  if (jar.size > 0) headers.cookie = jar.header();
  const response = await request(port, path, { ...options, headers });
  jar.update(response.setCookies);
  if (response.status < 200 || response.status > 299) {
    throw new Error(`${options.method ?? 'GET'} ${path} answered ${response.status}: ${response.body.slice(0, 200)}`);
  }
  return response;
}

/** Runs `task(i)` for i in [0, count) with at most `concurrency` in flight; resolves the results in order. */
export async function mapConcurrent(count, concurrency, task) {
  const results = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      results[i] = await task(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return results;
}

/**
 * `count` requests to `path` (at least), spread evenly over the visitors of `jars`, each visitor
 * one request after the other with its cookies; throws unless every answer is 200. Resolves how
 * many requests were made.
 */
export async function visitEach(port, jars, count, path = '/hit') {
  const each = Math.ceil(count / jars.length);
  await Promise.all(
    jars.map(async (jar) => {
      for (let i = 0; i < each; i++) {
        const response = await request(port, path, { headers: jar.size > 0 ? { cookie: jar.header() } : {} });
        if (response.status !== 200) throw new Error(`${path} answered ${response.status}`);
        jar.update(response.setCookies);
      }
    }),
  );
  return each * jars.length;
}
