import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts, RedisServer, redisCli, waitFor } from './servers.js';

/**
 * A throw-away Redis Cluster on loopback: 3 masters and 3 replicas, started from the same
 * `redis-server` binary as the standalone server, without persistence, in a temporary
 * directory. `dispose()` kills every process and removes the directory.
 */
export class TestCluster {
  private constructor(
    readonly dir: string,
    readonly servers: RedisServer[],
  ) {}

  get ports(): number[] {
    return this.servers.map((server) => server.port);
  }

  /**
   * Starts a cluster, on fresh ports up to three times: another suite running meanwhile can take
   * a port between the check that it is free and the server's start.
   */
  static async start(): Promise<TestCluster> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await TestCluster.#startOnce();
      } catch (error) {
        if (attempt === 3) throw error;
      }
    }
  }

  static async #startOnce(): Promise<TestCluster> {
    const dir = await mkdtemp(join(tmpdir(), 'spartan-cluster-'));
    const ports = await freePorts(6, { bus: true });
    const servers: RedisServer[] = [];
    const cluster = new TestCluster(dir, servers);
    try {
      for (const port of ports) {
        servers.push(
          await RedisServer.start(port, {
            dir,
            args: [
              '--cluster-enabled',
              'yes',
              '--cluster-config-file',
              join(dir, `nodes-${port}.conf`),
              // Quick failure detection keeps the failover test short.
              '--cluster-node-timeout',
              '1000',
              '--dbfilename',
              `dump-${port}.rdb`,
            ],
          }),
        );
      }
      await redisCli(
        ports[0]!,
        '--cluster',
        'create',
        ...ports.map((port) => `127.0.0.1:${port}`),
        '--cluster-replicas',
        '1',
        '--cluster-yes',
      );
      await cluster.waitUntilHealthy();
      return cluster;
    } catch (error) {
      await cluster.dispose();
      throw error;
    }
  }

  /**
   * Every node says `cluster_state:ok` and sees 3 masters each with a connected replica, and
   * every replica's replication link is up (until then `WAIT` counts no replica: the gossip
   * says "connected" seconds before the first sync is done).
   */
  async waitUntilHealthy(timeoutMs = 20_000): Promise<void> {
    await waitFor(
      'a healthy cluster',
      async () => {
        for (const server of this.servers) {
          if (!(await redisCli(server.port, 'cluster', 'info')).includes('cluster_state:ok')) return false;
        }
        const nodes = await this.nodes();
        const masters = nodes.filter((node) => node.role === 'master');
        const replicas = nodes.filter((node) => node.role === 'slave' && node.connected);
        if (masters.length !== 3 || replicas.length !== 3) return false;
        for (const replica of replicas) {
          const info = await redisCli(replica.port, 'info', 'replication');
          if (!info.includes('master_link_status:up')) return false;
        }
        return true;
      },
      { timeoutMs, intervalMs: 100 },
    );
  }

  /** `CLUSTER NODES` as seen from the first running node. */
  async nodes(): Promise<
    Array<{ id: string; port: number; role: 'master' | 'slave'; masterId: string; connected: boolean }>
  > {
    const from = this.servers.find((server) => server.running);
    if (from === undefined) throw new Error('no running node');
    const text = await redisCli(from.port, 'cluster', 'nodes');
    return text
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => {
        const [id = '', address = '', flags = '', masterId = '', , , , link = ''] = line.split(' ');
        return {
          id,
          port: Number(address.split('@')[0]?.split(':')[1]),
          role: flags.includes('master') ? 'master' : 'slave',
          masterId,
          connected: link === 'connected' && !flags.includes('fail'),
        } as const;
      });
  }

  async dispose(): Promise<void> {
    await Promise.all(this.servers.map((server) => server.stop('SIGKILL')));
    await rm(this.dir, { recursive: true, force: true });
  }
}
