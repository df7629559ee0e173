// The HTTP scenarios, run against one contender server at a time:
// - returning: a returning visitor (one session per connection) hits a route that increments a
//   counter in the session: a store read and a store write per request;
// - csrf:      the same as a POST verified by the contender's CSRF protection (token in a header);
// - hot:       every connection on one session, each request setting its own key; then how many
//              of those writes the session kept;
// - new:       a new visitor per request: a session created and stored, a cookie issued.
// Each repetition starts the server afresh; contenders are alternated across repetitions.
import { join } from 'node:path';
import { CookieJar, mapConcurrent, visit } from '../lib/http.mjs';
import { coreTicks, cpuMicros, microsToTicks, runJsonChild, startServer } from '../lib/processes.mjs';
import { deletePrefix } from '../lib/redis.mjs';

export const HTTP_SCENARIOS = ['returning', 'csrf', 'hot', 'new'];

/** Applies to a variant? Bare frameworks have no session to make hot. */
export function supports(variant, scenario) {
  return scenario !== 'hot' || variant.hot;
}

/**
 * One load-generator run against `server`: a child pinned to the load core. The server's CPU
 * time and the cores' busy time are sampled when the generator starts and when it is done:
 * `foreign` is the share of the server's core used by any other process (another workload on
 * the machine makes a measurement suspect), `loadCoreBusy` how busy the generator's core was
 * (near 1.0 the generator, not the server, may be the limit).
 */
export async function load(ctx, server, spec) {
  let cpuStart = null;
  let ticksStart = null;
  const seconds = (spec.warmup ?? 0) + spec.duration;
  const result = await runJsonChild(
    ctx.cores.load,
    [join(ctx.dirs.src, 'load.mjs'), JSON.stringify({ ...spec, url: `http://127.0.0.1:${server.port}${spec.path}` })],
    {
      timeoutMs: (seconds + 30) * 1000,
      onLine(line) {
        if (line === 'start') {
          cpuStart = cpuMicros(server.pid);
          ticksStart = coreTicks();
        }
      },
    },
  );
  const cpuEnd = cpuMicros(server.pid);
  const ticksEnd = coreTicks();
  const share = (core, minus = 0) => {
    if (ticksStart === null) return null;
    const total = ticksEnd[core].total - ticksStart[core].total;
    return total > 0 ? Math.max(0, (ticksEnd[core].busy - ticksStart[core].busy - minus) / total) : null;
  };
  const serverTicks = cpuStart === null ? 0 : microsToTicks(cpuEnd - cpuStart);
  const failed = result.errors + result.timeouts + result.non2xx;
  return {
    rps: result.rps,
    requests: result.requests,
    ok: result.ok,
    p50: result.p50,
    p99: result.p99,
    errors: failed,
    cpuUs: cpuStart === null || result.requests === 0 ? null : (cpuEnd - cpuStart) / result.requests,
    serverCoreBusy: share(ctx.cores.server),
    foreign: ctx.cores.server === ctx.cores.load ? null : share(ctx.cores.server, serverTicks),
    loadCoreBusy: ctx.cores.server === ctx.cores.load ? null : share(ctx.cores.load),
  };
}

/** Logs `count` visitors in (one session each); resolves their cookie jars. */
export async function logIn(port, count, userOf = (i) => `bench-user-${i}`) {
  return mapConcurrent(count, 16, async (i) => {
    const jar = new CookieJar();
    await visit(port, jar, `/login?user=${encodeURIComponent(userOf(i))}`);
    return jar;
  });
}

/** Warm-up (not recorded), then the measured run, in one load-generator process. */
function warmAndMeasure(ctx, server, spec) {
  return load(ctx, server, { ...spec, warmup: ctx.config.warmup, duration: ctx.config.duration });
}

const scenarios = {
  async returning(ctx, server) {
    const jars = await logIn(server.port, ctx.config.connections);
    return warmAndMeasure(ctx, server, {
      path: '/hit',
      connections: ctx.config.connections,
      connectionHeaders: jars.map((jar) => ({ cookie: jar.header() })),
    });
  },

  async csrf(ctx, server) {
    const jars = await logIn(server.port, ctx.config.connections);
    const connectionHeaders = await mapConcurrent(jars.length, 16, async (i) => {
      const { body: token } = await visit(server.port, jars[i], '/form');
      return { cookie: jars[i].header(), 'x-csrf-token': token };
    });
    return warmAndMeasure(ctx, server, {
      path: '/submit',
      method: 'POST',
      connections: ctx.config.connections,
      // A same-origin form post as a browser sends it (origin checks pass, the token decides).
      headers: { 'sec-fetch-site': 'same-origin' },
      connectionHeaders,
    });
  },

  async hot(ctx, server) {
    const [jar] = await logIn(server.port, 1, () => 'bench-hot-user');
    const sample = await load(ctx, server, {
      path: '/hot',
      connections: ctx.config.connections,
      amount: ctx.config.hotRequests,
      // Bounded: a contender that crawls under contention must not stall the run.
      duration: ctx.config.hotSeconds,
      headers: { cookie: jar.header() },
      counterQuery: 'k',
    });
    // Requests still in flight when a time-bounded run stops finish on the server: let them land.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const { body } = await visit(server.port, jar, '/hot/count');
    const { keys } = JSON.parse(body);
    // Those late writes can make keys exceed the 2xx count: a share above 1 means nothing was lost.
    return { ...sample, keys, kept: sample.ok > 0 ? Math.min(keys, sample.ok) / sample.ok : null };
  },

  async new(ctx, server) {
    return warmAndMeasure(ctx, server, { path: '/new', connections: ctx.config.connections });
  },
};

/** Alternation: repetition r starts r contenders further down the list (ABC, BCA, CAB, …). */
function rotated(list, by) {
  const offset = by % list.length;
  return [...list.slice(offset), ...list.slice(0, offset)];
}

/**
 * Runs `scenarioNames` for every variant, `repeats` times, alternating the contenders.
 * Resolves `{ [scenario]: { [variantKey]: { samples: [...], failures: [...] } } }`.
 */
export async function runHttpScenarios(ctx, variants, scenarioNames) {
  const results = Object.fromEntries(scenarioNames.map((name) => [name, {}]));
  const record = (scenario, variant, entry) => {
    results[scenario][variant.key] ??= { samples: [], failures: [] };
    if (entry instanceof Error) results[scenario][variant.key].failures.push(entry.message);
    else results[scenario][variant.key].samples.push(entry);
  };
  for (let repeat = 0; repeat < ctx.config.repeats; repeat++) {
    for (const variant of rotated(variants, repeat)) {
      const prefix = `${ctx.prefix}${variant.key}:${repeat}:`;
      const wanted = scenarioNames.filter((scenario) => supports(variant, scenario));
      let server = null;
      try {
        ctx.log(`  [${repeat + 1}/${ctx.config.repeats}] ${variant.name} (${variant.storeName})`);
        server = await startServer(join(ctx.dirs.servers, variant.file), {
          core: ctx.cores.server,
          cwd: ctx.dirs.bench,
          env: { PORT: '0', STORE: variant.store, PREFIX: prefix, REDIS_URL: ctx.redisUrl },
          nodeOptions:
            ctx.profile && variant.role === 'ours'
              ? [
                  '--cpu-prof',
                  `--cpu-prof-dir=${ctx.dirs.results}`,
                  `--cpu-prof-name=${variant.key}-${repeat + 1}.cpuprofile`,
                ]
              : [],
        });
        for (const scenario of wanted) {
          try {
            const sample = await scenarios[scenario](ctx, server, variant);
            record(scenario, variant, sample);
            ctx.log(`      ${scenario.padEnd(9)} ${describe(sample)}`);
          } catch (error) {
            record(scenario, variant, error);
            ctx.log(`      ${scenario.padEnd(9)} FAILED: ${error.message.split('\n')[0]}`);
          }
        }
      } catch (error) {
        for (const scenario of wanted) record(scenario, variant, error);
        ctx.log(`      FAILED to start: ${error.message}`);
      } finally {
        await server?.stop();
        if (variant.store === 'redis' && ctx.redis) await deletePrefix(ctx.redis, prefix);
      }
    }
  }
  return results;
}

function describe(sample) {
  const parts = [
    `${Math.round(sample.rps)} req/s`,
    `p50 ${sample.p50} ms`,
    `p99 ${sample.p99} ms`,
    sample.cpuUs === null ? 'cpu ?' : `${sample.cpuUs.toFixed(1)} µs/req`,
    sample.serverCoreBusy === null ? '' : `server core ${Math.round(sample.serverCoreBusy * 100)}% busy`,
  ].filter(Boolean);
  if (sample.foreign !== null && sample.foreign > 0.05)
    parts.push(`OTHER LOAD ${Math.round(sample.foreign * 100)}% of the core`);
  if (sample.loadCoreBusy !== null && sample.loadCoreBusy > 0.95) parts.push('generator core saturated');
  if (sample.errors > 0) parts.push(`${sample.errors} errors`);
  if (sample.keys !== undefined) parts.push(`kept ${sample.keys}/${sample.ok}`);
  return parts.join(', ');
}
