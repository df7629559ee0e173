import { createHash } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { COMMANDS, KEY_COUNTS, SCRIPTS } from './scripts.js';

/** A script of `internal/scripts.ts`, by its short name. */
export type ScriptName = keyof typeof COMMANDS;

/** The commands the store writes with: its scripts, `SET`, `GETDEL` and `ZREM` (keys first). */
export type WriteName = ScriptName | 'set' | 'getdel' | 'zrem';

/**
 * A node-redis (`redis` 5 or later) client, cluster or sentinel: what `createClient()`,
 * `createCluster()` and `createSentinel()` return, connected. The store calls `sendCommand`
 * (raw commands: its scripts by `EVALSHA`) and `multi` (a `WAIT` after a write, with
 * `waitForReplicas`), and tells the three apart at run time; their signatures differ, so
 * they are typed here as taking anything.
 */
export interface NodeRedisClient {
  sendCommand(...args: never[]): Promise<unknown>;
  multi(...args: never[]): unknown;
}

/**
 * An ioredis (5 or 6) `Redis` or `Cluster`. Typed by what the store knows it by, not by
 * ioredis's own classes, so that the package's types need no ioredis installed: an app on
 * node-redis has none (ioredis is an optional peer).
 */
export interface IoredisClient {
  defineCommand(...args: never[]): unknown;
  pipeline(...args: never[]): unknown;
}

/** A client the store accepts: ioredis `Redis` or `Cluster`, or a node-redis client. */
export type RedisClient = IoredisClient | NodeRedisClient;

/**
 * What the store needs of Redis, whichever client carries it: reads, its write commands, and a
 * write followed by `WAIT` on the same connection. Replies come back as the client gives them,
 * except that strings are always strings (never buffers).
 */
export interface RedisLink {
  /** Whether the keys live in different slots of a Redis Cluster (no multi-key command). */
  readonly cluster: boolean;
  /**
   * `GET`, then `next` on the value: one `then` for both (a returning visitor's read is one of
   * these), so a client whose replies need converting costs no promise more than one that does not.
   */
  get<T>(key: string, next: (value: string | null) => T): Promise<Awaited<T>>;
  /** The values of `keys`: one `MGET` on one server, a `GET` each in a Cluster. */
  getMany(keys: string[]): Promise<Array<string | null>>;
  write(name: WriteName, args: string[]): Promise<unknown>;
  /**
   * `write`, then `WAIT replicas timeoutMs` in the same round trip on the same connection: the
   * write's reply and how many replicas acknowledged it. A failed write rejects.
   */
  writeAndWait(name: WriteName, args: string[], replicas: number, timeoutMs: number): Promise<[unknown, number]>;
}

/** Whether `client` is an ioredis client (`Redis` or `Cluster`). */
export function isIoredis(client: RedisClient): client is IoredisClient {
  return typeof (client as { defineCommand?: unknown }).defineCommand === 'function';
}

/** The link over `client`, or `undefined` when it is no client this store knows. */
export function linkOf(client: RedisClient): RedisLink | undefined {
  if (typeof client !== 'object' || client === null) return undefined;
  // An ioredis client is one of ioredis's classes (it has `defineCommand`); its types stay out
  // of the package's public ones.
  if (isIoredis(client)) return new IoredisLink(client as unknown as Redis | Cluster);
  const kind = nodeRedisKind(client);
  return kind === undefined ? undefined : new NodeRedisLink(client, kind);
}

// ioredis --------------------------------------------------------------------------------------

/** Method names of the write commands on an ioredis client or pipeline. */
const IOREDIS_METHODS: Record<WriteName, string> = { ...COMMANDS, set: 'set', getdel: 'getdel', zrem: 'zrem' };

type Method = (...args: string[]) => unknown;

/**
 * ioredis: the scripts are defined on the client (`defineCommand`: ioredis sends `EVALSHA`, and
 * `EVAL` once per connection on `NOSCRIPT`, on the client and its pipelines alike).
 */
export class IoredisLink implements RedisLink {
  readonly cluster: boolean;
  readonly #client: Redis | Cluster;

  constructor(client: Redis | Cluster) {
    for (const [name, command] of Object.entries(COMMANDS) as Array<[ScriptName, string]>) {
      client.defineCommand(command, { numberOfKeys: KEY_COUNTS[name], lua: SCRIPTS[name] });
    }
    this.#client = client;
    this.cluster = client.isCluster;
  }

  get<T>(key: string, next: (value: string | null) => T): Promise<Awaited<T>> {
    return this.#client.get(key).then(next) as Promise<Awaited<T>>;
  }

  getMany(keys: string[]): Promise<Array<string | null>> {
    // MGET is one command on one server; in a Cluster the keys live in different slots, so one
    // GET each (ioredis routes them to their nodes and sends them without waiting).
    return this.cluster ? Promise.all(keys.map((key) => this.#client.get(key))) : this.#client.mget(keys);
  }

  write(name: WriteName, args: string[]): Promise<unknown> {
    // The command's own promise: nothing around it (a returning visitor's write is one of these).
    return ((this.#client as unknown as Record<string, Method>)[IOREDIS_METHODS[name]] as Method).apply(
      this.#client,
      args,
    ) as Promise<unknown>;
  }

  async writeAndWait(name: WriteName, args: string[], replicas: number, timeoutMs: number): Promise<[unknown, number]> {
    // In a Cluster ioredis routes the pipeline by the command's key, so the WAIT reaches the
    // master that took the write.
    const pipeline = this.#client.pipeline();
    ((pipeline as unknown as Record<string, Method>)[IOREDIS_METHODS[name]] as Method).apply(pipeline, args);
    pipeline.wait(replicas, timeoutMs);
    const [reply, acknowledged] = (await pipeline.exec()) ?? [];
    if (reply === undefined || acknowledged === undefined) throw new Error('Redis answered no pipeline replies');
    if (reply[0] !== null) throw reply[0];
    if (acknowledged[0] !== null) throw acknowledged[0];
    return [reply[1], Number(acknowledged[1])];
  }
}

// node-redis -----------------------------------------------------------------------------------

type NodeRedisKind = 'client' | 'cluster' | 'sentinel';

/** A node-redis client, cluster or sentinel, told apart by what only each of them has. */
function nodeRedisKind(client: object): NodeRedisKind | undefined {
  const has = (name: string) => typeof (client as Record<string, unknown>)[name] === 'function';
  if (!has('sendCommand') || !has('multi')) return undefined;
  if (has('getSlotMaster')) return 'cluster';
  if (has('getMasterNode') && has('getSentinelNode')) return 'sentinel';
  return 'client';
}

/** node-redis's `multi()` pipeline, as each kind takes its commands. */
interface NodeRedisPipeline {
  addCommand(...args: unknown[]): NodeRedisPipeline;
  execAsPipeline(): Promise<unknown[]>;
}

/** The SHA1 of each script, by which `EVALSHA` calls it. */
const SHAS = Object.fromEntries(
  Object.entries(SCRIPTS).map(([name, lua]) => [name, createHash('sha1').update(lua).digest('hex')]),
) as Record<ScriptName, string>;

/**
 * node-redis: every command goes through `sendCommand` (its pipelining sends the commands of a
 * tick in one write), the scripts by `EVALSHA`; a `NOSCRIPT` reply (a server that has not seen
 * the script yet, or whose scripts were flushed) sends the same call once more as `EVAL`,
 * which also loads it. A script that did not run changed nothing, so sending it again is safe.
 */
class NodeRedisLink implements RedisLink {
  readonly cluster: boolean;
  readonly #client: NodeRedisClient;
  readonly #kind: NodeRedisKind;

  constructor(client: NodeRedisClient, kind: NodeRedisKind) {
    this.#client = client;
    this.#kind = kind;
    this.cluster = kind === 'cluster';
  }

  get<T>(key: string, next: (value: string | null) => T): Promise<Awaited<T>> {
    return this.#send(key, ['GET', key]).then((reply) => next(textOrNull(reply))) as Promise<Awaited<T>>;
  }

  getMany(keys: string[]): Promise<Array<string | null>> {
    if (this.cluster) return Promise.all(keys.map((key) => this.#send(key, ['GET', key]).then(textOrNull)));
    return this.#send(keys[0], ['MGET', ...keys]).then((reply) => (reply as unknown[]).map(textOrNull));
  }

  write(name: WriteName, args: string[]): Promise<unknown> {
    const command = commandOf(name, args);
    // One `then` with both handlers: a returning visitor's write is one of these.
    return this.#send(args[0], command).then(texts, (error: unknown) => {
      if (command[0] !== 'EVALSHA' || !isNoScript(error)) throw error;
      return this.#send(args[0], asEval(name, command)).then(texts);
    });
  }

  async writeAndWait(name: WriteName, args: string[], replicas: number, timeoutMs: number): Promise<[unknown, number]> {
    const wait = ['WAIT', String(replicas), String(timeoutMs)];
    const command = commandOf(name, args);
    let replies: unknown[];
    try {
      replies = await this.#pipeline(args[0], [command, wait]);
    } catch (error) {
      if (command[0] !== 'EVALSHA' || !isNoScript(error)) throw error;
      replies = await this.#pipeline(args[0], [asEval(name, command), wait]);
    }
    return [texts(replies[0]), Number(replies[1])];
  }

  /** One command, on the node that holds `key` in a Cluster. */
  #send(key: string | undefined, command: string[]): Promise<unknown> {
    const send = this.#client.sendCommand as (...args: unknown[]) => Promise<unknown>;
    if (this.#kind === 'cluster') return send.call(this.#client, key, false, command);
    if (this.#kind === 'sentinel') return send.call(this.#client, false, command);
    return send.call(this.#client, command);
  }

  /** Commands in one pipeline on one connection (a sentinel leases one client for it). */
  #pipeline(key: string | undefined, commands: string[][]): Promise<unknown[]> {
    const multi = this.#client.multi as (...args: unknown[]) => NodeRedisPipeline;
    let pipeline = this.#kind === 'cluster' ? multi.call(this.#client, key) : multi.call(this.#client);
    for (const command of commands) {
      if (this.#kind === 'cluster') pipeline = pipeline.addCommand(key, false, command);
      else if (this.#kind === 'sentinel') pipeline = pipeline.addCommand(false, command);
      else pipeline = pipeline.addCommand(command);
    }
    return pipeline.execAsPipeline();
  }
}

/** The raw command of a write: a script as `EVALSHA sha numkeys …args`. */
function commandOf(name: WriteName, args: string[]): string[] {
  if (name === 'set') return ['SET', ...args];
  if (name === 'getdel') return ['GETDEL', ...args];
  if (name === 'zrem') return ['ZREM', ...args];
  return ['EVALSHA', SHAS[name], String(KEY_COUNTS[name]), ...args];
}

/** The same script call as `EVAL` with the script's text. */
function asEval(name: WriteName, command: string[]): string[] {
  const again = command.slice();
  again[0] = 'EVAL';
  again[1] = SCRIPTS[name as ScriptName];
  return again;
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}

/** A reply's strings as strings: a client set to map replies to buffers gives `Buffer`s. */
function texts(reply: unknown): unknown {
  if (typeof reply === 'string' || typeof reply === 'number' || reply === null) return reply;
  if (reply instanceof Uint8Array) return Buffer.from(reply.buffer, reply.byteOffset, reply.byteLength).toString();
  if (Array.isArray(reply)) return reply.map(texts);
  return reply;
}

function textOrNull(reply: unknown): string | null {
  const value = texts(reply);
  return typeof value === 'string' ? value : null;
}
