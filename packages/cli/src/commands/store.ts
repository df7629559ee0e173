import type { SessionStore } from '@spartan-sessions/core';
import { RedisStore } from '@spartan-sessions/store-redis';
import { Cluster, type ClusterNode, Redis, type RedisOptions } from 'ioredis';
import { usageError } from '../errors.js';

/** How `sessions` reaches the store. */
export interface StoreOptions {
  redis?: string;
  cluster?: string[];
  mongo?: string;
  collection?: string;
  prefix?: string;
  timeout?: number;
}

export interface OpenedStore {
  store: SessionStore;
  /** `redis 127.0.0.1:6379` / `redis cluster 127.0.0.1:7000, …` / `mongodb 127.0.0.1:27017/app`: where, without credentials. */
  description: string;
  /** Which of the store's records: `prefix sess:` / `collection sessions`. */
  scope: string;
  close(): void | Promise<void>;
}

const DEFAULT_TIMEOUT_MS = 2000;

/**
 * The client options the CLI sets. (Not `RedisOptions` as a whole: under
 * `exactOptionalPropertyTypes` ioredis 6's `replyMapping?: … | undefined` in it does not fit the
 * constructors' own `replyMapping?: …`.)
 */
type ClientOptions = Pick<
  RedisOptions,
  'connectTimeout' | 'maxRetriesPerRequest' | 'enableAutoPipelining' | 'username' | 'password' | 'tls'
>;

/**
 * Opens the store the options name: `--redis URL` (standalone), `--cluster SEEDS` (Redis
 * Cluster), `--mongo URL` (MongoDB), else the `REDIS_URL` variable. A command-line tool must not
 * hang on a dead server: no reconnection, each store call bounded by `--timeout` (the store's
 * `commandTimeout` / `operationTimeout`, and the MongoDB driver's server selection).
 */
export async function openStore(
  options: StoreOptions,
  env: Readonly<Record<string, string | undefined>>,
): Promise<OpenedStore> {
  const timeout = options.timeout ?? DEFAULT_TIMEOUT_MS;
  if (options.mongo !== undefined) return openMongo(options.mongo, options.collection ?? 'sessions', timeout);
  const prefix = options.prefix ?? 'sess:';
  const common: ClientOptions = { connectTimeout: timeout, maxRetriesPerRequest: 1, enableAutoPipelining: true };
  let client: Redis | Cluster;
  let description: string;
  if (options.cluster !== undefined && options.cluster.length > 0) {
    const seeds = options.cluster.flatMap((value) => value.split(',')).map((seed) => seed.trim());
    const parsed = seeds.filter((seed) => seed !== '').map(parseSeed);
    if (parsed.length === 0) throw usageError('--cluster: give at least one host:port', { option: '--cluster' });
    const credentials = parsed.find((seed) => seed.password !== undefined || seed.username !== undefined);
    const redisOptions: ClientOptions = { ...common };
    if (credentials?.username !== undefined) redisOptions.username = credentials.username;
    if (credentials?.password !== undefined) redisOptions.password = credentials.password;
    if (parsed.some((seed) => seed.tls)) redisOptions.tls = {};
    client = new Cluster(
      parsed.map(({ host, port }): ClusterNode => ({ host, port })),
      {
        redisOptions,
        clusterRetryStrategy: () => null,
        slotsRefreshTimeout: timeout,
        enableAutoPipelining: true,
      },
    );
    description = `redis cluster ${parsed.map((seed) => `${seed.host}:${seed.port}`).join(', ')}`;
  } else {
    const url = options.redis ?? env.REDIS_URL;
    if (url === undefined || url === '') {
      throw usageError('name the store: --redis URL or --cluster SEEDS (or set REDIS_URL)', { option: '--redis' });
    }
    const where = checkRedisUrl(url, options.redis === undefined ? 'REDIS_URL' : '--redis');
    client = new Redis(url, { ...common, retryStrategy: () => null });
    description = `redis ${where}`;
  }
  // Failures reach the command as `sessions/store-unavailable` from the store.
  client.on('error', () => {});
  const store = new RedisStore({ client, prefix, commandTimeout: timeout });
  // (ioredis' disconnect() of a client whose socket already closed waits out a 2 s timer.)
  return {
    store,
    description,
    scope: `prefix ${prefix}`,
    close: () => (client.status === 'end' ? undefined : client.disconnect()),
  };
}

/**
 * `--mongo URL`: `@spartan-sessions/store-mongo` over a client of the CLI's own (loaded on use:
 * the driver is most of the start-up time), the database from the URL's path. The CLI creates no
 * index (the application's store does), and waits for a server at most `timeout` ms.
 */
async function openMongo(url: string, collectionName: string, timeout: number): Promise<OpenedStore> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw usageError('--mongo: not a URL (mongodb://host:port/database)', { option: '--mongo' });
  }
  if (parsed.protocol !== 'mongodb:' && parsed.protocol !== 'mongodb+srv:') {
    throw usageError('--mongo: expected a mongodb:// or mongodb+srv:// URL', { option: '--mongo' });
  }
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (database === '') {
    throw usageError('--mongo: name the database in the URL (mongodb://host:port/database)', { option: '--mongo' });
  }
  if (collectionName === '') throw usageError('--collection: give a collection name', { option: '--collection' });
  const [{ MongoClient }, { MongoStore }] = await Promise.all([
    import('mongodb'),
    import('@spartan-sessions/store-mongo'),
  ]);
  let client: InstanceType<typeof MongoClient>;
  try {
    client = new MongoClient(url, { serverSelectionTimeoutMS: timeout, connectTimeoutMS: timeout });
  } catch {
    // The driver's message quotes the string, which may hold a password.
    throw usageError('--mongo: not a valid MongoDB connection string', { option: '--mongo' });
  }
  const store = new MongoStore({
    client,
    dbName: database,
    collectionName,
    operationTimeout: timeout,
    createIndexes: false,
  });
  return {
    store,
    description: `mongodb ${parsed.host}/${database}`,
    scope: `collection ${collectionName}`,
    close: () => client.close(),
  };
}

/** `host:port` of a `redis://` or `rediss://` URL; anything else is a usage error. */
function checkRedisUrl(url: string, option: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw usageError(`${option}: not a URL (redis://host:port)`, { option });
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw usageError(`${option}: expected a redis:// or rediss:// URL`, { option });
  }
  return `${parsed.hostname}:${parsed.port === '' ? 6379 : parsed.port}`;
}

interface Seed {
  host: string;
  port: number;
  username?: string;
  password?: string;
  tls: boolean;
}

/** `host:port`, `[::1]:port`, `host` (port 6379) or a `redis://` / `rediss://` URL. */
function parseSeed(seed: string): Seed {
  if (/^rediss?:\/\//i.test(seed)) {
    checkRedisUrl(seed, '--cluster');
    const url = new URL(seed);
    const result: Seed = {
      host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: url.port === '' ? 6379 : Number(url.port),
      tls: url.protocol === 'rediss:',
    };
    if (url.username !== '') result.username = decodeURIComponent(url.username);
    if (url.password !== '') result.password = decodeURIComponent(url.password);
    return result;
  }
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^\s:[\]/]+))(?::(\d{1,5}))?$/.exec(seed);
  const port = match?.[3] === undefined ? 6379 : Number(match[3]);
  const host = match?.[1] ?? match?.[2];
  if (host === undefined || port < 1 || port > 65_535) {
    throw usageError(`--cluster: "${seed}" is not host:port`, { option: '--cluster' });
  }
  return { host, port, tls: false };
}
