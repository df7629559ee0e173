// CSRF token pairs per second: runs src/csrf-pairs.mjs pinned to the servers' core.
import { join } from 'node:path';
import { runJsonChild } from '../lib/processes.mjs';

export async function runCsrfPairs(ctx) {
  const { csrfSeconds: seconds, csrfRounds: rounds } = ctx.config;
  try {
    const output = await runJsonChild(
      ctx.cores.server,
      [join(ctx.dirs.src, 'csrf-pairs.mjs'), JSON.stringify({ seconds, rounds })],
      {
        cwd: ctx.dirs.bench,
        timeoutMs: (seconds * rounds * 5 + 60) * 1000,
        onLine: ctx.log,
      },
    );
    return { ...output, failures: [] };
  } catch (error) {
    ctx.log(`      FAILED: ${error.message.split('\n')[0]}`);
    return { results: {}, modes: {}, failures: [error.message] };
  }
}
