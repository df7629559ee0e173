import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts, RedisServer, redisCli, waitFor } from './servers.js';

/**
 * A throw-away Redis Sentinel group on loopback ports, all from the same redis-server binary:
 * a master, two replicas and one Sentinel watching them under `name`. Two replicas, as in
 * production: after a failover the other replica follows the new master at once, while
 * Sentinel converts the old master only at its next 10-second check. `dispose()` kills every
 * process and removes the directory.
 */
export class TestSentinel {
  private constructor(
    readonly name: string,
    readonly dir: string,
    /** The master, the Sentinel, then the replicas. */
    readonly servers: RedisServer[],
  ) {}

  get sentinel(): RedisServer {
    return this.servers[1]!;
  }

  static async start(name: string): Promise<TestSentinel> {
    const dir = await mkdtemp(join(tmpdir(), 'spartan-sentinel-'));
    const group = new TestSentinel(name, dir, []);
    try {
      const [masterPort, sentinelPort, ...replicaPorts] = (await freePorts(4)) as [number, number, number, number];
      group.servers.push(
        await RedisServer.start(masterPort, { dir, args: ['--dbfilename', `dump-${masterPort}.rdb`] }),
      );
      for (const replicaPort of replicaPorts) {
        group.servers.push(
          await RedisServer.start(replicaPort, {
            dir,
            args: ['--dbfilename', `dump-${replicaPort}.rdb`, '--replicaof', '127.0.0.1', String(masterPort)],
          }),
        );
      }
      for (const replicaPort of replicaPorts) {
        await waitFor('the replica to sync', async () =>
          (await redisCli(replicaPort, 'info', 'replication')).includes('master_link_status:up'),
        );
      }
      // Started last, the Sentinel learns both replicas from its first INFO of the master.
      group.servers.splice(1, 0, await RedisServer.startSentinel(sentinelPort, { dir, name, masterPort }));
      await waitFor('the Sentinel to see both replicas', async () => {
        const replicas = await redisCli(sentinelPort, 'sentinel', 'replicas', name);
        return replicaPorts.every((port) => replicas.includes(String(port)));
      });
      return group;
    } catch (error) {
      await group.dispose();
      throw error;
    }
  }

  async dispose(): Promise<void> {
    await Promise.all(this.servers.map((server) => server.stop('SIGKILL')));
    this.servers.length = 0;
    await rm(this.dir, { recursive: true, force: true });
  }
}
