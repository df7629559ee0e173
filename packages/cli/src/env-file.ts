import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { usageError } from './errors.js';
import type { CliIo } from './io.js';

/**
 * The environment a command looks at: the process's, with the variables of `--dotenv FILE` on
 * top (the file wins: asking to check a file means checking what it says). Parsed by Node's own
 * `util.parseEnv`, the parser behind `node --env-file`. (The option is not called `--env-file`:
 * Node 20 and 22 take a script argument of that name for their own and exit 9 when the file is
 * missing, nodejs/node#54232.)
 */
export function environmentWith(io: CliIo, dotenv: string | undefined): Readonly<Record<string, string | undefined>> {
  if (dotenv === undefined) return io.env;
  let text: string;
  try {
    text = readFileSync(resolve(io.cwd, dotenv), 'utf8');
  } catch {
    throw usageError(`--dotenv: cannot read ${dotenv}`, { option: '--dotenv' });
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
