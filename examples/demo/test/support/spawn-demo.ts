/** `npm start` as a test runs it: `dist/main.js` in a child process, on a port the OS picks. */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url));

export interface RunningDemo {
  /** `http://localhost:<port>` from the start-up line. */
  base: string;
  /** Everything the demo printed so far (stdout and stderr). */
  output(): string;
  stop(): Promise<void>;
}

/** Starts the demo with `env` added to this process's environment; resolves once it listens. */
export async function startDemo(env: Record<string, string>): Promise<RunningDemo> {
  const child: ChildProcess = spawn(process.execPath, [MAIN], {
    env: { ...process.env, PORT: '0', SESSION_SECRET: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  // Bounded by the hook timeout: the start-up line names the URL.
  const base = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`demo exited with ${code}: ${output}`)));
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /on (http:\/\/localhost:\d+)/.exec(output);
      if (match?.[1]) resolve(match[1]);
    });
  });
  return {
    base,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
    },
  };
}

/** Runs the demo with `env` until it exits on its own (a start-up error); resolves its exit code and output. */
export async function demoExit(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [MAIN], {
    env: { ...process.env, PORT: '0', SESSION_SECRET: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, output };
}
