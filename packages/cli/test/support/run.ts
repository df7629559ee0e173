import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The built executable: the tests run what `npm install -g` would put on a user's PATH. */
export const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'bin.js');

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  /** Variables on top of a clean environment (only PATH and HOME are inherited). */
  env?: Record<string, string>;
}

/**
 * Runs `spartan-sessions args…` as a subprocess with piped (non-TTY) output and a clean
 * environment: nothing of the test runner's SESSION_SECRET, REDIS_URL, NO_COLOR or FORCE_COLOR
 * leaks in unless a test passes it.
 */
export function run(args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  if (!existsSync(BIN)) {
    throw new Error(`${BIN} is missing: build first (pnpm --filter @spartan-sessions/cli run build)`);
  }
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', ...options.env };
  if (process.env.HOME !== undefined) env.HOME = process.env.HOME;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd ?? process.cwd(),
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A fresh temporary directory, removed by the returned function. */
export async function temporaryDirectory(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'spartan-cli-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** The lines of a stream's output, without the final empty one. */
export function lines(text: string): string[] {
  return text.split('\n').filter((line, index, all) => !(line === '' && index === all.length - 1));
}
