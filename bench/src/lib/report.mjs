// The two renderings of a results file: aligned text for the console and BENCHMARKS.md.
import { compact, FOREIGN_LOAD_MARK, GENERATOR_BUSY_MARK } from './analyze.mjs';

const SCENARIO_TITLES = {
  returning: 'Returning visitor: GET, one session per connection, the counter in the session incremented',
  csrf: 'Returning visitor with CSRF: POST verified by the CSRF protection, counter incremented',
  new: 'New visitor: every request creates and stores a session and sets its cookie',
  hot: 'Hot session: every connection on one session, each request writing its own key',
  contention: 'Same-key contention: every connection on one session, each request incrementing the same counter',
};

const num = (value, digits = 0) =>
  value === null || value === undefined || Number.isNaN(value)
    ? '—'
    : value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const x = (value) => (value === null || value === undefined ? '—' : `${value.toFixed(2)}`);
const range = ({ median, min, max }, digits = 0) =>
  median === null
    ? '—'
    : min === max
      ? num(median, digits)
      : `${num(median, digits)} (${num(min, digits)}–${num(max, digits)})`;
/** † other processes used the server's core; ‡ the load generator's core was saturated. */
const marks = (row) =>
  `${row.foreign > FOREIGN_LOAD_MARK ? ' †' : ''}${row.generatorBusy > GENERATOR_BUSY_MARK ? ' ‡' : ''}`;
const LEGEND =
  `† another workload used more than ${FOREIGN_LOAD_MARK * 100}% of the server's or the load generator's core ` +
  'in one of the repetitions, even after re-measuring (the machine was shared); ' +
  `‡ the load generator used more than ${GENERATOR_BUSY_MARK * 100}% of its core ` +
  "(req/s of that row may be the generator's limit; its CPU µs/req still holds).";
const contender = (row) => (row.role === 'ours' ? `**${row.name}**` : row.name);
const storeLabel = (row) => (row.store === 'none' ? '—' : row.storeName);

function table(headers, rows, markdown) {
  const cells = rows.map((row) => row.map((cell) => String(cell)));
  if (markdown) {
    const line = (row) => `| ${row.join(' | ')} |`;
    return [line(headers), line(headers.map(() => '---')), ...cells.map(line)].join('\n');
  }
  const plain = (text) => text.replace(/\*\*/g, '');
  const widths = headers.map((header, i) => Math.max(header.length, ...cells.map((row) => plain(row[i]).length)));
  const line = (row) => row.map((cell, i) => plain(cell).padEnd(widths[i])).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

function httpTable(rows, markdown) {
  return table(
    [
      'framework',
      'contender',
      'store',
      'req/s median (min–max)',
      '× bare',
      '× best peer',
      'CPU µs/req',
      '+µs over bare',
      'p50 / p99 ms',
      'errors',
    ],
    rows.map((row) => [
      row.framework,
      markdown ? contender(row) : row.name,
      storeLabel(row),
      row.runs === 0 ? `failed: ${row.failures[0]?.split('\n')[0] ?? '?'}` : `${range(row.rps)}${marks(row)}`,
      x(row.ratioBare),
      x(row.ratioBestPeer),
      num(row.cpuUs, 1),
      num(row.extraUs, 1),
      `${num(row.p50)} / ${num(row.p99)}`,
      num(row.errors),
    ]),
    markdown,
  );
}

function hotTable(rows, markdown) {
  return table(
    ['framework', 'contender', 'store', 'req/s', '2xx responses', 'keys in the session', 'writes kept', 'errors'],
    rows.map((row) => [
      row.framework,
      markdown ? contender(row) : row.name,
      storeLabel(row),
      `${range(row.rps)}${marks(row)}`,
      num(row.ok),
      num(row.keys),
      row.kept.median === null ? '—' : `${(row.kept.median * 100).toFixed(1)}%`,
      num(row.errors),
    ]),
    markdown,
  );
}

function growthTable(rows, markdown) {
  const lines = [];
  for (const row of rows) {
    for (const size of row.sizes) {
      lines.push([
        markdown ? contender(row) : row.name,
        storeLabel(row),
        compact(size.size),
        `${range(size.rps)}${marks(size)}`,
        `${num(size.p50)} / ${num(size.p99)}`,
        num(size.cpuUs, 1),
        num(size.errors),
        `${size.fillSeconds.toFixed(1)} s`,
      ]);
    }
    if (row.failures.length > 0)
      lines.push([row.name, storeLabel(row), 'failed', row.failures[0].split('\n')[0], '', '', '', '']);
  }
  return table(
    ['contender', 'store', 'sessions in store', 'req/s', 'p50 / p99 ms', 'CPU µs/req', 'errors', 'fill time'],
    lines,
    markdown,
  );
}

function revokeTable(rows, markdown) {
  return table(
    ['contender', 'store', "user's sessions", 'other sessions', 'time ms median (min–max)', 'how'],
    rows.map((row) => [
      markdown && row.contender === 'spartan-sessions' ? `**${row.contender}**` : row.contender,
      row.store,
      num(row.userSessions),
      compact(row.others),
      range(row.time, row.time.median < 10 ? 2 : 0),
      row.method,
    ]),
    markdown,
  );
}

function bytesTable(rows, markdown) {
  return table(
    ['contender', 'store', 'bytes/session (MEMORY USAGE)', 'session key', 'user index', 'used_memory Δ / session'],
    rows.map((row) =>
      row.bytesPerSession === undefined
        ? [row.name, storeLabel(row), `failed: ${row.failures[0]?.split('\n')[0]}`, '', '', '']
        : [
            markdown ? contender(row) : row.name,
            storeLabel(row),
            num(row.bytesPerSession),
            num(row.sessionKeyBytes),
            row.indexBytesPerSession > 0 ? num(row.indexBytesPerSession) : '— (none)',
            num(row.usedMemoryPerSession),
          ],
    ),
    markdown,
  );
}

function allocTable(rows, markdown) {
  const kb = (bytes) => (bytes === null || bytes === undefined ? '—' : `${(bytes / 1024).toFixed(1)} KB`);
  return table(
    ['framework', 'contender', 'store', 'allocated per request', 'over bare', 'most of it (per request)'],
    rows.map((row) =>
      row.bytesPerRequest === undefined
        ? [row.framework, row.name, storeLabel(row), `failed: ${row.failures[0]?.split('\n')[0]}`, '', '']
        : [
            row.framework,
            markdown ? contender(row) : row.name,
            storeLabel(row),
            kb(row.bytesPerRequest),
            row.overBare === null ? '—' : `${row.overBare >= 0 ? '+' : ''}${kb(row.overBare)}`,
            row.topPackages
              .slice(0, 3)
              .map((pkg) => `${pkg.name} ${kb(pkg.bytes)}`)
              .join(', '),
          ],
    ),
    markdown,
  );
}

function csrfTable(rows, markdown) {
  return table(
    ['library', 'kind', 'pairs/s median (min–max)', '× csrf-csrf'],
    rows.map((row) => [
      markdown && row.name.startsWith('spartan') ? `**${row.name}**` : row.name,
      row.mode,
      range(row.pairs),
      x(row.vsCsrfCsrf),
    ]),
    markdown,
  );
}

function targetsTable(list, markdown) {
  const verdict = (pass) => (pass === null ? 'pending' : pass ? 'pass' : 'FAIL');
  return table(
    ['target', 'wanted', 'measured', 'verdict'],
    list.map((t) => [
      t.label,
      t.target,
      t.note ? `${t.measured} (${t.note})` : t.measured,
      markdown && t.pass === false ? '**FAIL**' : verdict(t.pass),
    ]),
    markdown,
  );
}

function sections(results, markdown) {
  const { analysis } = results;
  const out = [];
  const heading = (text) => out.push(markdown ? `### ${text}` : `== ${text}`);
  for (const scenario of ['returning', 'csrf', 'new', 'contention']) {
    if (!analysis.http[scenario]) continue;
    heading(SCENARIO_TITLES[scenario]);
    out.push(httpTable(analysis.http[scenario], markdown));
  }
  if (analysis.http.hot) {
    heading(SCENARIO_TITLES.hot);
    out.push(hotTable(analysis.http.hot, markdown));
  }
  if (analysis.alloc?.length > 0) {
    heading(
      `Bytes allocated per request: returning visitor (${num(results.config.allocRequests)} requests, V8's sampling heap profiler)`,
    );
    out.push(allocTable(analysis.alloc, markdown));
  }
  if (analysis.growth.length > 0) {
    heading('Store growth: the returning-visitor run as the store fills up');
    out.push(growthTable(analysis.growth, markdown));
  }
  if (analysis.revoke.length > 0 || results.raw.revoke?.failures?.length) {
    heading('Revoking every session of one user among many others');
    out.push(
      analysis.revoke.length > 0 ? revokeTable(analysis.revoke, markdown) : `failed: ${results.raw.revoke.failures[0]}`,
    );
  }
  if (analysis.redisBytes.length > 0) {
    heading(`Redis memory per session (${num(results.config.bytesSessions)} logged-in sessions, one user each)`);
    out.push(bytesTable(analysis.redisBytes, markdown));
  }
  if (analysis.csrfPairs.length > 0) {
    heading('CSRF token pairs per second (issue a fresh token + verify a submitted one, in process)');
    out.push(csrfTable(analysis.csrfPairs, markdown));
  }
  const rows = [...Object.values(analysis.http).flat(), ...analysis.growth.flatMap((row) => row.sizes)];
  if (rows.some((row) => marks(row) !== '')) out.push(LEGEND);
  if (analysis.targets.length > 0) {
    heading('Targets (issue: benchmarks side by side with the peers)');
    out.push(targetsTable(analysis.targets, markdown));
  }
  return out.join('\n\n');
}

export function consoleReport(results) {
  return sections(results, false);
}

/** The notes' line on the allocation table, when the run has one. */
function allocNote({ raw, config }) {
  if (!raw.alloc) return '';
  return `- Bytes allocated per request: each contender once more, alone, under V8's sampling heap profiler
  (objects already freed included) while its ${config.connections} signed-in visitors send
  ${num(config.allocRequests)} \`GET /hit\` after ${num(config.allocWarmup)} of warm-up. Unlike req/s and µs it
  repeats within about 1% from run to run on a shared machine, and the garbage collector's share of
  the CPU follows it; \`node bench/src/alloc.mjs\` breaks one server's figure down by function.
`;
}

/**
 * The method's line on the peers with two Redis rows (one per client), listed from the run's rows
 * (older runs had express-session's two only).
 */
function peersOnTwoClientsNote({ variants }) {
  const byLibrary = new Map();
  for (const variant of variants) {
    if (variant.role !== 'peer' || variant.store !== 'redis') continue;
    byLibrary.set(variant.name, [...(byLibrary.get(variant.name) ?? []), variant.storeName]);
  }
  const twice = [...byLibrary].filter(([, storeNames]) => storeNames.length > 1);
  if (twice.length === 0) return '';
  const list = twice.map(([name, storeNames]) => `${name} (${storeNames.join(', ')})`).join('; ');
  return `
${twice.length === 1 ? 'One peer has' : 'These peers have'} two Redis rows, one per client: ${list}; connect-redis 11 on
node-redis is what \`npm install connect-redis redis\` gives today. A library's best peer figure is the
faster of its rows.`;
}

/** The method's line on our two Redis rows, when the run has the second (older runs had one). */
function oursOnTwoClientsNote({ variants }) {
  if (!variants.some((variant) => variant.role === 'ours' && variant.targets === false)) return '';
  return `
Ours has two Redis rows per framework as well, @spartan-sessions/store-redis on either client: node-redis
(the targets are checked on that row) and ioredis (auto-pipelining on).`;
}

export function markdownReport(results, resultsPath) {
  const { machine, config, versions } = results;
  const packages = Object.entries(versions.packages)
    .map(([name, version]) => `${name} ${version}`)
    .join(', ');
  return `# Benchmarks

Generated by \`bench/\` (see [bench/README.md](bench/README.md)) on ${results.date.slice(0, 10)} with
\`${results.command}\` (${Math.round(results.wallSeconds / 60)} min); raw samples in
[${resultsPath}](${resultsPath}). Regenerate this file with \`pnpm bench\` (a full run) or
\`node bench/src/report.mjs ${resultsPath}\`.

**Machine:** ${machine.cpu}, ${machine.nproc} cores, ${machine.memoryGiB} GiB, ${machine.os}, Linux ${machine.kernel},
Node.js ${machine.node}, Redis ${machine.redis ?? '—'} on loopback.
**Method:** every server runs alone on core ${machine.cores.server} (\`taskset\`); the load generator
(autocannon, ${config.connections} connections, one session per connection), Redis and the orchestrator share
core ${machine.cores.load}. Each contender runs as its own process, restarted for each of ${config.repeats}
repetitions, contenders alternated; every measurement is ${config.duration} s after a ${config.warmup} s warm-up
(measured again, up to ${config.noisyRetries ?? 0} times, when another workload took more than a tenth of a core).
Figures are medians (min–max over the repetitions). **× bare** divides by the same framework without
sessions, **× best peer** by the fastest peer library on the same framework and store, both measured in
this run. **CPU µs/req** is the server process's CPU time (user + system, /proc) over the requests it
answered; **+µs over bare** is what the session library adds to each request (it scales with the
machine's speed, as the bare row does: compare runs by their ratios). Cookie-session rows (iron-session,
koa-session's default) keep the session in the cookie: no store, so they are never the "best peer".${peersOnTwoClientsNote(results)}${oursOnTwoClientsNote(results)}
**Versions:** ${packages}; our packages at commit ${versions.commit ?? 'unknown'}${versions.builtAt ? `, as built at ${versions.builtAt.slice(11, 19)} UTC (a copy of that build served the whole run)` : ''}.
${(results.warnings ?? []).map((warning) => `\n**Warning:** ${warning}.\n`).join('')}
${sections(results, true)}

Notes:
- The hot-session run sends ${num(config.hotRequests)} requests (or stops after ${config.hotSeconds} s), each \`GET /hot?k=<n>\`
  with a distinct n;
  "writes kept" is the number of distinct keys the session holds afterwards over the 2xx responses.
  express-session and its kin save the whole session at the end of each request: the last writer wins
  and the other requests' keys are lost. spartan-sessions writes with compare-and-set and re-applies the
  request's own changes on a conflict.
- Store growth: the server fills its own store through the store's API (bench-only route), so Redis and
  memory stores hold real records; ${compact(config.growthSizes.at(-1))} filled sessions belong to users (4 each).
- Revocation: express-session stores keep no per-user index, so revoking a user means reading every
  session (\`store.all()\`) and destroying the matches; connect-redis's \`all()\` is a SCAN plus one MGET of
  every session. spartan-sessions keeps a per-user index (a sorted set in Redis).
${allocNote(results)}- Redis bytes: every store's keys carry a 10-character prefix (about the libraries' defaults, such as
  \`sess:\`), since a key's name is part of its weight.
- Targets not met, and where their time goes (profiles, what was tried):
  [docs/performance.md](docs/performance.md).
`;
}
