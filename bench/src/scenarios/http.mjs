// The HTTP scenarios, run against one contender server at a time:
// - returning: a returning visitor (one session per connection) hits a route that increments a
//   counter in the session: a store read and a store write per request;
// - csrf:      the same as a POST verified by the contender's CSRF protection (token in a header);
// - hot:       every connection on one session, each request setting its own key; then how many
//              of those writes the session kept;
// - contention: every connection on one session, each request incrementing the same counter
//              (`/hit`): the same write as `returning`, all of them on one key of one session;
// - new:       a new visitor per request: a session created and stored, a cookie issued.
// Each repetition starts the server afresh; contenders are alternated across repetitions.
import { join } from 'node:path';
import { FOREIGN_LOAD_MARK, noiseOf } from '../lib/analyze.mjs';
import { CookieJar, mapConcurrent, visit } from '../lib/http.mjs';
import { coreTicks, cpuMicros, microsToTicks, runJsonChild, startServer } from '../lib/processes.mjs';
import { deletePrefix } from '../lib/redis.mjs';

export const HTTP_SCENARIOS = ['returning', 'csrf', 'hot', 'contention', 'new'];

/** Applies to a variant? Bare frameworks have no session to make hot or to contend on. */
export function supports(variant, scenario) {
  return (scenario !== 'hot' && scenario !== 'contention') || variant.hot;
}

/**
 * One load-generator run against `server`: a child pinned to the load core. When the measured
 * part starts and when it ends, the harness samples the CPU time of the server, of Redis, of
 * itself, and the busy time of both cores (/proc), so a sample says how clean it was:
 * - `foreign`: share of the server's core used by anything but the server;
 * - `loadForeign`: share of the load core used by anything but the generator, Redis and the
 *   orchestrator (another workload on the machine);
 * - `generatorBusy`: share of its core the generator itself used (near 1, the generator may be
 *   the limit rather than the server).
 */
export async function load(ctx, server, spec) {
  let start = null;
  const sample = () => ({
    server: cpuMicros(server.pid),
    redis: ctx.redisPid ? cpuMicros(ctx.redisPid) : 0,
    self: process.cpuUsage(),
    cores: coreTicks(),
  });
  const seconds = (spec.warmup ?? 0) + spec.duration;
  const result = await runJsonChild(
    ctx.cores.load,
    [join(ctx.dirs.src, 'load.mjs'), JSON.stringify({ ...spec, url: `http://127.0.0.1:${server.port}${spec.path}` })],
    {
      timeoutMs: (seconds + 30) * 1000,
      onLine(line) {
        if (line === 'start') start = sample();
      },
    },
  );
  const end = sample();
  const measured = {
    rps: result.rps,
    requests: result.requests,
    ok: result.ok,
    p50: result.p50,
    p99: result.p99,
    errors: result.errors + result.timeouts + result.non2xx,
    cpuUs: null,
    serverCoreBusy: null,
    foreign: null,
    loadForeign: null,
    generatorBusy: null,
  };
  if (start === null) return measured;
  const serverMicros = end.server - start.server;
  measured.cpuUs = result.requests > 0 ? serverMicros / result.requests : null;
  const core = (index) => ({
    busy: end.cores[index].busy - start.cores[index].busy,
    total: end.cores[index].total - start.cores[index].total,
  });
  const serverCore = core(ctx.cores.server);
  if (serverCore.total > 0) {
    measured.serverCoreBusy = serverCore.busy / serverCore.total;
    if (ctx.cores.server !== ctx.cores.load) {
      measured.foreign = Math.max(0, serverCore.busy - microsToTicks(serverMicros)) / serverCore.total;
      const loadCore = core(ctx.cores.load);
      const selfMicros = end.self.user - start.self.user + end.self.system - start.self.system;
      const known = microsToTicks(result.generatorMicros + (end.redis - start.redis) + selfMicros);
      measured.loadForeign = loadCore.total > 0 ? Math.max(0, loadCore.busy - known) / loadCore.total : null;
      measured.generatorBusy = result.generatorMicros / 1e6 / result.seconds;
    }
  }
  return measured;
}

/** Logs `count` visitors in (one session each); resolves their cookie jars. */
export async function logIn(port, count, userOf = (i) => `bench-user-${i}`) {
  return mapConcurrent(count, 16, async (i) => {
    const jar = new CookieJar();
    await visit(port, jar, `/login?user=${encodeURIComponent(userOf(i))}`);
    return jar;
  });
}

/**
 * Warm-up (not recorded), then the measured run, in one load-generator process. A run disturbed
 * by another workload (more than `FOREIGN_LOAD_MARK` of a core) is measured again, up to
 * `config.noisyRetries` times, and the cleanest one is kept.
 */
export async function warmAndMeasure(ctx, server, spec, warmup = ctx.config.warmup) {
  let best = null;
  for (let attempt = 1; attempt <= 1 + ctx.config.noisyRetries; attempt++) {
    const sample = await load(ctx, server, {
      ...spec,
      warmup: attempt === 1 ? warmup : 0,
      duration: ctx.config.duration,
    });
    const noise = noiseOf(sample) ?? 0;
    if (best === null || noise < (noiseOf(best) ?? 0)) best = sample;
    best.attempts = attempt;
    if (noise <= FOREIGN_LOAD_MARK) break;
    if (attempt <= ctx.config.noisyRetries) {
      const where = (sample.foreign ?? 0) >= (sample.loadForeign ?? 0) ? "the server's core" : "the generator's core";
      ctx.log(`      (another workload took ${Math.round(noise * 100)}% of ${where}: measuring again)`);
    }
  }
  return best;
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

  async contention(ctx, server) {
    const [jar] = await logIn(server.port, 1, () => 'bench-contention-user');
    return warmAndMeasure(ctx, server, {
      path: '/hit',
      connections: ctx.config.connections,
      headers: { cookie: jar.header() },
    });
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
  if (sample.foreign > 0.05) parts.push(`OTHER LOAD ${Math.round(sample.foreign * 100)}% of the server core`);
  if (sample.loadForeign > 0.05) parts.push(`OTHER LOAD ${Math.round(sample.loadForeign * 100)}% of the load core`);
  if (sample.generatorBusy > 0.9) parts.push(`generator ${Math.round(sample.generatorBusy * 100)}% busy`);
  if (sample.errors > 0) parts.push(`${sample.errors} errors`);
  if (sample.keys !== undefined) parts.push(`kept ${sample.keys}/${sample.ok}`);
  return parts.join(', ');
}
