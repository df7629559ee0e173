import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Polls `check` until it returns a value other than `undefined`/`false`, or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  { timeoutMs = 10_000, intervalMs = 50 } = {},
): Promise<T> {
  const until = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const result = await check();
      if (result !== undefined && result !== false) return result;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > until) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`, { cause: lastError });
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * `count` consecutive free loopback ports (and, with `bus`, their Cluster bus ports at
 * +10000), from a random base so parallel runs rarely collide. Every port stays below Linux's
 * ephemeral range (32768 and up), where an outgoing connection of any process could take it
 * between this check and the server's start.
 */
export async function freePorts(count: number, { bus = false } = {}): Promise<number[]> {
  // Cluster nodes from 20000 (bus ports from 30000), other servers from 23000; the CLI's tests
  // take 22000–22699 for theirs.
  const [from, to] = bus ? [20_000, 22_000] : [23_000, 32_000];
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = from + Math.floor(Math.random() * (to - from - count));
    const ports = Array.from({ length: count }, (_, i) => base + i);
    const needed = bus ? [...ports, ...ports.map((port) => port + 10_000)] : ports;
    const free = await Promise.all(needed.map(portIsFree));
    if (free.every(Boolean)) return ports;
  }
  throw new Error('no free port range found');
}

export async function redisCli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { timeout: 10_000 });
  return stdout.trim();
}

/** A `redis-server` child process on a loopback port, killed with the test process at the latest. */
export class RedisServer {
  #child: ChildProcess | undefined;
  readonly #killOnExit = () => this.#child?.kill('SIGKILL');

  private constructor(
    readonly port: number,
    readonly dir: string,
    readonly argv: readonly string[],
  ) {}

  /** Starts a server with no persistence in a fresh temporary directory (unless `dir` is given). */
  static async start(port: number, { args = [] as string[], dir }: { args?: string[]; dir?: string } = {}) {
    const where = dir ?? (await mkdtemp(join(tmpdir(), 'spartan-redis-')));
    const argv = [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--daemonize',
      'no',
      '--dir',
      where,
      ...args,
    ];
    const server = new RedisServer(port, where, argv);
    await server.restart();
    return server;
  }

  /**
   * Starts a Sentinel (the same binary with `--sentinel`) watching the master `name` on
   * `masterPort`; Sentinel rewrites its config file, so it gets one of its own in `dir`.
   */
  static async startSentinel(
    port: number,
    { dir, name, masterPort }: { dir: string; name: string; masterPort: number },
  ) {
    const config = join(dir, `sentinel-${port}.conf`);
    await writeFile(
      config,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel monitor ${name} 127.0.0.1 ${masterPort} 1`,
        `sentinel down-after-milliseconds ${name} 1000`,
        `sentinel failover-timeout ${name} 2000`,
        '',
      ].join('\n'),
    );
    const server = new RedisServer(port, dir, [config, '--sentinel']);
    await server.restart();
    return server;
  }

  get running(): boolean {
    return this.#child !== undefined;
  }

  async restart(): Promise<void> {
    if (this.#child !== undefined) throw new Error(`redis-server on ${this.port} is already running`);
    const child = spawn('redis-server', [...this.argv], { stdio: 'ignore' });
    this.#child = child;
    process.once('exit', this.#killOnExit);
    child.once('exit', () => {
      if (this.#child === child) this.#child = undefined;
      process.off('exit', this.#killOnExit);
    });
    await waitFor(`redis-server on ${this.port}`, async () => {
      if (this.#child !== child) throw new Error(`redis-server on ${this.port} exited at start`);
      return (await redisCli(this.port, 'ping')) === 'PONG';
    });
  }

  /** Stops the process (SIGTERM, or SIGKILL for a crash) and waits until it has exited. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.#child;
    if (child === undefined) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    await exited;
  }

  /** Freezes the process (SIGSTOP): connections stay open and nothing answers, like a hung server. */
  pause(): void {
    this.#child?.kill('SIGSTOP');
  }

  resume(): void {
    this.#child?.kill('SIGCONT');
  }

  /** Stops the server and removes its directory. */
  async dispose(): Promise<void> {
    this.resume();
    await this.stop('SIGKILL');
    await rm(this.dir, { recursive: true, force: true });
  }
}
