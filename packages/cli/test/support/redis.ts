import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { SessionStore, StoredSession } from '@spartan-sessions/core';
import type { Cluster, Redis } from 'ioredis';

const execFileAsync = promisify(execFile);

export const REDIS_URL = 'redis://127.0.0.1:6379';

/** A unique key prefix per test, so tests (and parallel runs) never see each other's keys. */
export function uniquePrefix(): string {
  return `tcli${randomUUID().slice(0, 8)}:`;
}

/** A store key shaped like core's (128 bits, base64url, 22 characters). */
export function newKey(): string {
  return randomBytes(16).toString('base64url');
}

export function record(overrides: Partial<StoredSession> = {}): StoredSession {
  const now = Date.now();
  return {
    version: 1,
    data: { theme: 'dark' },
    createdAt: now,
    lastSeenAt: now,
    rotatedAt: now,
    userId: null,
    authenticatedAt: null,
    zone: 'normal',
    csrfSecret: null,
    ...overrides,
  };
}

/** Stores `count` sessions of `userId` (created a minute apart, oldest first); resolves their keys. */
export async function seed(
  store: SessionStore,
  userId: string,
  count: number,
  overrides: Partial<StoredSession> = {},
): Promise<string[]> {
  const now = Date.now();
  const keys: string[] = [];
  for (let index = 0; index < count; index++) {
    const key = newKey();
    const createdAt = now - (count - index) * 60_000;
    await store.set(
      key,
      record({ userId, createdAt, lastSeenAt: createdAt + 30_000, authenticatedAt: createdAt, ...overrides }),
      { expiresAt: now + 3_600_000, expectedVersion: null },
    );
    keys.push(key);
  }
  return keys;
}

/** Deletes every key under `prefix` (on every master of a Cluster) with SCAN, never KEYS. */
export async function deletePrefix(client: Redis | Cluster, prefix: string): Promise<void> {
  const nodes = client.isCluster ? (client as Cluster).nodes('master') : [client as Redis];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      for (const key of keys) await node.del(key);
    } while (cursor !== '0');
  }
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

async function redisCli(port: number, ...args: string[]): Promise<string> {
  // `--cluster create` waits for every node to agree; on a machine busy with other suites
  // (store-redis starts its own cluster meanwhile) that takes longer than a plain command.
  const timeout = args[0] === '--cluster' ? 60_000 : 10_000;
  const { stdout } = await execFileAsync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { timeout });
  return stdout.trim();
}

/** Polls `check` (bounded: `attempts` tries, `intervalMs` apart) until it holds. */
async function until(what: string, check: () => Promise<boolean>, attempts = 200, intervalMs = 50): Promise<void> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * A throw-away Redis Cluster of three masters (no replicas) on free loopback ports, without
 * persistence, in a temporary directory; `stop()` kills the servers and removes it.
 */
export async function startCluster(): Promise<{ ports: number[]; stop: () => Promise<void> }> {
  let ports: number[] = [];
  for (let attempt = 0; attempt < 50 && ports.length === 0; attempt++) {
    // Bus ports (+10000) below Linux's ephemeral range (32768 and up), where any outgoing
    // connection could take one between this check and the start; store-redis's tests keep
    // out of 22000–22699.
    const base = 22_000 + Math.floor(Math.random() * 697);
    const candidate = [base, base + 1, base + 2];
    const free = await Promise.all([...candidate, ...candidate.map((port) => port + 10_000)].map(portIsFree));
    if (free.every(Boolean)) ports = candidate;
  }
  if (ports.length === 0) throw new Error('no free port range for the cluster');
  const dir = await mkdtemp(join(tmpdir(), 'spartan-cli-cluster-'));
  const children: ChildProcess[] = [];
  const stop = async () => {
    for (const child of children) child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (const port of ports) {
      const child = spawn(
        'redis-server',
        [
          '--port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--save',
          '',
          '--appendonly',
          'no',
          '--dir',
          dir,
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          join(dir, `nodes-${port}.conf`),
          '--dbfilename',
          `dump-${port}.rdb`,
        ],
        { stdio: 'ignore' },
      );
      children.push(child);
    }
    for (const port of ports) await until(`redis on ${port}`, async () => (await redisCli(port, 'ping')) === 'PONG');
    await redisCli(
      ports[0] ?? 0,
      '--cluster',
      'create',
      ...ports.map((port) => `127.0.0.1:${port}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    );
    for (const port of ports) {
      await until('cluster_state:ok', async () =>
        (await redisCli(port, 'cluster', 'info')).includes('cluster_state:ok'),
      );
    }
    return { ports, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
