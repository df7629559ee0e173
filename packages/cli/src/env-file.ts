import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { usageError } from './errors.js';
import type { CliIo } from './io.js';

/**
 * The environment a command looks at: the process's, with the variables of `--env-file` on top
 * (the file wins: asking to check a file means checking what it says). Parsed by Node's own
 * `util.parseEnv`, the parser behind `node --env-file`.
 */
export function environmentWith(io: CliIo, envFile: string | undefined): Readonly<Record<string, string | undefined>> {
  if (envFile === undefined) return io.env;
  let text: string;
  try {
    text = readFileSync(resolve(io.cwd, envFile), 'utf8');
  } catch {
    throw usageError(`--env-file: cannot read ${envFile}`, { option: '--env-file' });
  }
  return { ...io.env, ...parseEnv(text) };
}

const BARE_VALUE = /^[A-Za-z0-9_\-.~+/=:@,]*$/;

/** `NAME=value` as `.env` parsers (Node's, dotenv) read it back unchanged, quoting when needed. */
export function envLine(name: string, value: string): string {
  if (BARE_VALUE.test(value)) return `${name}=${value}`;
  if (!value.includes("'") && !value.includes('\n')) return `${name}='${value}'`;
  if (!value.includes('"') && !value.includes('\n') && !value.includes('\\')) return `${name}="${value}"`;
  if (!value.includes('`')) return `${name}=\`${value}\``;
  throw usageError(`${name} holds every quote character and cannot be written as one .env line`, { variable: name });
}
