// The load generator: autocannon, in its own process so the orchestrator can pin it (taskset)
// to the core the servers do not use. Input: a JSON spec in argv[2]. It runs the warm-up first
// (not reported), prints `start` right before the measured run (the orchestrator samples the
// server's CPU time then) and `result {...}` at the end.
//
// spec: { url, connections, duration, warmup?, amount?, method?, headers?,
//         connectionHeaders?: [{…}], counterQuery?: 'k' }
// - connectionHeaders: connection i sends connectionHeaders[i % length] (its own session).
// - amount: stop after that many requests (or after `duration` seconds, whichever is first).
// - counterQuery: every request gets `?<name>=<n>` with a distinct n (hot-session scenario).
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';

const spec = JSON.parse(process.argv[2]);
const base = new URL(spec.url);

function options(seconds, amount) {
  let nextConnection = 0;
  let counter = 0;
  return {
    url: spec.url,
    connections: spec.connections,
    pipelining: 1,
    method: spec.method ?? 'GET',
    headers: spec.headers ?? {},
    timeout: 10,
    ...(amount ? { amount } : { duration: seconds }),
    ...(spec.connectionHeaders?.length
      ? {
          setupClient(client) {
            const own = spec.connectionHeaders[nextConnection++ % spec.connectionHeaders.length];
            client.setHeaders({ ...spec.headers, ...own });
          },
        }
      : {}),
    ...(spec.counterQuery
      ? {
          requests: [
            {
              setupRequest(request) {
                request.path = `${base.pathname}?${spec.counterQuery}=${counter++}`;
                return request;
              },
            },
          ],
        }
      : {}),
  };
}

/**
 * One autocannon run, stopped after `seconds` at the latest. With `amount`, the run's time is
 * taken at its last response: autocannon notices the amount only at its next one-second tick.
 */
async function run(seconds, amount) {
  const started = performance.now();
  let lastResponse = started;
  let timer;
  const result = await new Promise((resolve, reject) => {
    const instance = autocannon(options(seconds, amount), (error, value) => (error ? reject(error) : resolve(value)));
    if (amount) {
      timer = setTimeout(() => instance.stop(), seconds * 1000);
      instance.on('response', () => {
        lastResponse = performance.now();
      });
    }
  });
  clearTimeout(timer);
  const ended = amount ? lastResponse : performance.now();
  return { result, seconds: (ended - started) / 1000 };
}

if (spec.warmup > 0) await run(spec.warmup);
process.stdout.write('start\n');
const cpuStart = process.cpuUsage();
const { result, seconds } = await run(spec.duration, spec.amount);
const cpu = process.cpuUsage(cpuStart);
const summary = {
  requests: result.requests.total,
  seconds,
  rps: result.requests.total / seconds,
  p50: result.latency.p50,
  p99: result.latency.p99,
  ok: result['2xx'],
  non2xx: result.non2xx,
  errors: result.errors,
  timeouts: result.timeouts,
  /** The generator's own CPU time over the measured run (µs). */
  generatorMicros: cpu.user + cpu.system,
};
process.stdout.write(`result ${JSON.stringify(summary)}\n`);
