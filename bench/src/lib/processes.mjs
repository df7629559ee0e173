// Child processes: every one is pinned to a core with taskset, tracked, and killed when the
// orchestrator exits for any reason (end of run, error, Ctrl-C).
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

const live = new Set();

/** Clock ticks per second of /proc/<pid>/stat times (`getconf CLK_TCK`, 100 on Linux). */
const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** CPU time (user + system, all threads) a process has used so far, in microseconds. */
export function cpuMicros(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may contain spaces: count fields after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1e6) / CLOCK_TICKS;
}

/**
 * Per-core tick counters from /proc/stat: `busy` (user, nice, system, irq, softirq, steal) and
 * `total`, in clock ticks. The difference between two readings shows how busy a core was.
 */
export function coreTicks() {
  const cores = [];
  for (const line of readFileSync('/proc/stat', 'utf8').split('\n')) {
    const match = /^cpu(\d+) (.*)$/.exec(line);
    if (!match) continue;
    const [user, nice, system, idle, iowait, irq, softirq, steal] = match[2].trim().split(/\s+/).map(Number);
    const busy = user + nice + system + irq + softirq + steal;
    cores[Number(match[1])] = { busy, total: busy + idle + iowait };
  }
  return cores;
}

/** Converts CPU microseconds to clock ticks (the unit of `coreTicks`). */
export function microsToTicks(micros) {
  return (micros * CLOCK_TICKS) / 1e6;
}

/** Kills every child still running (SIGKILL: used on the way out, when waiting is not an option). */
export function killAll() {
  for (const child of live) {
    try {
      child.kill('SIGKILL');
    } catch {
      // Already gone.
    }
  }
  live.clear();
}

let installed = false;
const interruptHooks = [];

/** Runs `hook()` (at most 3 s) when the run is interrupted, after the children are killed. */
export function onInterrupt(hook) {
  interruptHooks.push(hook);
}

/** Makes sure no child outlives the orchestrator, however it ends. */
export function installCleanup() {
  if (installed) return;
  installed = true;
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, async () => {
      console.error(`\n${signal}: stopping every benchmark process`);
      killAll();
      const hooks = Promise.allSettled(interruptHooks.map((hook) => hook()));
      await Promise.race([hooks, new Promise((resolve) => setTimeout(resolve, 3000))]);
      process.exit(130);
    });
  }
}

/**
 * Starts `node <args>` pinned to `core` (taskset execs node, so the pid is node's). Lines of
 * stdout go to `onLine`; the last 4 KB of stderr are kept for error messages.
 */
export function spawnPinned(core, args, { env = {}, cwd, onLine, nodeOptions = [] } = {}) {
  const child = spawn('taskset', ['-c', String(core), process.execPath, ...nodeOptions, ...args], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  child.once('exit', () => live.delete(child));
  child.stderrTail = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => {
    child.stderrTail = (child.stderrTail + chunk).slice(-4096);
  });
  if (onLine) createInterface({ input: child.stdout }).on('line', onLine);
  else child.stdout.resume();
  return child;
}

/** Resolves with `value` of `promise`, or rejects with `message` after `ms`. */
export async function withTimeout(promise, ms, message) {
  let timer;
  try {
    return await Promise.race([
      promise,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${message} (no answer within ${Math.round(ms / 1000)} s)`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Stops a child: SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
export async function stop(child, graceMs = 3000) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  try {
    await withTimeout(exited, graceMs, 'exit');
  } catch {
    child.kill('SIGKILL');
    await exited;
  }
}

/**
 * Starts a contender server pinned to `core` and waits for its `ready <port>` line. Rejects
 * (with the server's stderr) if it exits first or is not ready within `timeoutMs`.
 */
export async function startServer(file, { core, env, cwd, timeoutMs = 20_000, nodeOptions }) {
  let resolveReady;
  const ready = new Promise((resolve) => {
    resolveReady = resolve;
  });
  const child = spawnPinned(core, [file], {
    cwd,
    env,
    nodeOptions,
    onLine(line) {
      const match = /^ready (\d+)$/.exec(line);
      if (match) resolveReady(Number(match[1]));
    },
  });
  const exited = once(child, 'close').then(([code, signal]) => {
    throw new Error(`${file} exited (${code ?? signal}) before it was ready:\n${child.stderrTail.trim()}`);
  });
  try {
    const port = await withTimeout(Promise.race([ready, exited]), timeoutMs, `${file} did not print "ready <port>"`);
    exited.catch(() => {});
    return { child, pid: child.pid, port, stop: () => stop(child) };
  } catch (error) {
    exited.catch(() => {});
    await stop(child);
    throw error;
  }
}

/**
 * Runs a node script pinned to `core` that prints JSON result lines (`result {...}`) and
 * resolves with the last one; `onLine` sees every other line. Rejects on a non-zero exit or
 * after `timeoutMs`.
 */
export async function runJsonChild(core, args, { timeoutMs, onLine, env, cwd, nodeOptions } = {}) {
  let result;
  const child = spawnPinned(core, args, {
    env,
    cwd,
    nodeOptions,
    onLine(line) {
      if (line.startsWith('result ')) result = JSON.parse(line.slice('result '.length));
      else onLine?.(line);
    },
  });
  const [code, signal] = await withTimeout(once(child, 'close'), timeoutMs, `${args[0]}`).catch(async (error) => {
    await stop(child, 500);
    throw error;
  });
  if (code !== 0 || result === undefined) {
    throw new Error(`${args.join(' ')} failed (${code ?? signal}):\n${child.stderrTail.trim()}`);
  }
  return result;
}
