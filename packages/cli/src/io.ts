/** Where a command writes, and what it reads of its surroundings: injected, so tests can run in-process too. */
export interface OutputStream {
  write(text: string): unknown;
  /** True on a terminal (Node sets it on `process.stdout`/`stderr`). */
  isTTY?: boolean | undefined;
}

export interface CliIo {
  stdout: OutputStream;
  stderr: OutputStream;
  /** The environment (`SESSION_SECRET`, `NO_COLOR`, `REDIS_URL`, …). */
  env: Readonly<Record<string, string | undefined>>;
  /** The directory relative paths are resolved against. */
  cwd: string;
}

/** The process's own streams, environment and working directory. */
export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
}

/**
 * Colour only on a terminal, never when `NO_COLOR` is set to anything but the empty string
 * (https://no-color.org), nor on `TERM=dumb`. `FORCE_COLOR` (non-empty, not `0`) turns it on
 * off a terminal (CI logs that render colour); `NO_COLOR` still wins.
 */
export function colourEnabled(stream: OutputStream, env: CliIo['env']): boolean {
  const noColor = env.NO_COLOR;
  if (noColor !== undefined && noColor !== '') return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '' && force !== '0' && force !== 'false') return true;
  return stream.isTTY === true && env.TERM !== 'dumb';
}

export interface Paint {
  red(text: string): string;
  yellow(text: string): string;
  green(text: string): string;
  cyan(text: string): string;
  bold(text: string): string;
  dim(text: string): string;
}

const ansi =
  (open: number, close: number) =>
  (text: string): string =>
    `\u001b[${open}m${text}\u001b[${close}m`;

const plain = (text: string): string => text;

/** SGR colours when `enabled`, the text unchanged otherwise. */
export function paint(enabled: boolean): Paint {
  if (!enabled) return { red: plain, yellow: plain, green: plain, cyan: plain, bold: plain, dim: plain };
  return {
    red: ansi(31, 39),
    yellow: ansi(33, 39),
    green: ansi(32, 39),
    cyan: ansi(36, 39),
    bold: ansi(1, 22),
    dim: ansi(2, 22),
  };
}
