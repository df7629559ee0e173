// Store growth: the returning-visitor run repeated while the store fills up from 1k to 1M
// sessions (filled by the server itself through its store's API, via the bench-only
// /_bench/fill route). Throughput and p99 should stay flat: a store lookup must not depend on
// how many sessions there are, and a big in-process store must not turn into GC pauses.
import { join } from 'node:path';
import { request } from '../lib/http.mjs';
import { startServer } from '../lib/processes.mjs';
import { deletePrefix } from '../lib/redis.mjs';
import { logIn, warmAndMeasure } from './http.mjs';

export async function runGrowth(ctx, variants) {
  const { config } = ctx;
  const results = {};
  for (const variant of variants) {
    const entry = { sizes: [], failures: [] };
    results[variant.key] = entry;
    const prefix = `${ctx.prefix}growth:${variant.key}:`;
    let server = null;
    try {
      ctx.log(`  ${variant.name} (${variant.storeName})`);
      server = await startServer(join(ctx.dirs.servers, variant.file), {
        core: ctx.cores.server,
        cwd: ctx.dirs.bench,
        // A million sessions in process needs more than the default old space.
        nodeOptions: ['--max-old-space-size=8192'],
        env: {
          PORT: '0',
          STORE: variant.store,
          PREFIX: prefix,
          REDIS_URL: ctx.redisUrl,
          MAX_SESSIONS: String(Math.max(...config.growthSizes) + 100_000),
        },
      });
      const jars = await logIn(server.port, config.connections);
      const spec = {
        path: '/hit',
        connections: config.connections,
        connectionHeaders: jars.map((jar) => ({ cookie: jar.header() })),
      };
      for (const size of config.growthSizes) {
        const fillStarted = Date.now();
        const filled = await request(server.port, `/_bench/fill?to=${size}`, { timeoutMs: 20 * 60_000 });
        if (filled.status !== 200)
          throw new Error(`/_bench/fill answered ${filled.status}: ${filled.body.slice(0, 200)}`);
        const fillSeconds = (Date.now() - fillStarted) / 1000;
        const samples = [];
        for (let repeat = 0; repeat < config.growthRepeats; repeat++) {
          // A warm-up after each fill: the fill's garbage is collected before the measurement.
          samples.push(await warmAndMeasure(ctx, server, spec, repeat === 0 ? config.warmup : 0));
        }
        entry.sizes.push({ size, fillSeconds, samples });
        const last = samples.at(-1);
        ctx.log(
          `      ${String(size).padStart(8)} sessions (filled in ${fillSeconds.toFixed(1)} s): ` +
            `${Math.round(last.rps)} req/s, p99 ${last.p99} ms${last.errors ? `, ${last.errors} errors` : ''}`,
        );
      }
    } catch (error) {
      entry.failures.push(error.message);
      ctx.log(`      FAILED: ${error.message.split('\n')[0]}`);
    } finally {
      await server?.stop();
      if (variant.store === 'redis' && ctx.redis) await deletePrefix(ctx.redis, prefix);
    }
  }
  return results;
}
