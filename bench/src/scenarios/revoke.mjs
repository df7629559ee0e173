// Revocation scenario: runs src/revoke.mjs pinned to the servers' core, then removes its keys.
import { join } from 'node:path';
import { runJsonChild } from '../lib/processes.mjs';
import { deletePrefix } from '../lib/redis.mjs';

export async function runRevocation(ctx) {
  const { config } = ctx;
  const prefix = `${ctx.prefix}revoke:`;
  const spec = {
    others: config.revokeOthers,
    counts: config.revokeCounts,
    repeats: config.revokeRepeats,
    prefix,
    redisUrl: ctx.redisUrl,
    stores: ctx.redis ? ['memory', 'redis'] : ['memory'],
  };
  try {
    return {
      rows: await runJsonChild(ctx.cores.server, [join(ctx.dirs.src, 'revoke.mjs'), JSON.stringify(spec)], {
        cwd: ctx.dirs.bench,
        nodeOptions: ['--max-old-space-size=8192'],
        timeoutMs: 30 * 60_000,
        onLine: ctx.log,
      }),
      failures: [],
    };
  } catch (error) {
    ctx.log(`      FAILED: ${error.message.split('\n')[0]}`);
    return { rows: [], failures: [error.message] };
  } finally {
    if (ctx.redis) await deletePrefix(ctx.redis, prefix);
  }
}
