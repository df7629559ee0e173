import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { parsePolicy } from '@spartan-sessions/core';
import { duration } from '../doctor/findings.js';
import { envLine } from '../env-file.js';
import { CommandFailure } from '../errors.js';
import type { CliIo, Paint } from '../io.js';
import { createSecret, SECRET_BYTES } from '../secret.js';

export interface InitOptions {
  force?: boolean;
  dir?: string;
}

const SECRET_LINE = /^[ \t]*(export[ \t]+)?SESSION_SECRET[ \t]*=.*(\r?\n|$)/gm;
/** `.gitignore` lines that already keep `.env` out. */
const IGNORES_ENV = new Set(['.env', '/.env', '.env*', '/.env*', '*.env']);

/**
 * `init`: writes the spec's default `security.json` (core's `parsePolicy({})`, serialized) and a
 * fresh 256-bit `SESSION_SECRET` into `.env` (mode 0600), adds `.env` to an existing
 * `.gitignore`. Refuses, before writing anything, to replace either without `--force`. Other
 * variables of an existing `.env` are kept.
 */
export async function runInit(options: InitOptions, io: CliIo, colour: Paint): Promise<void> {
  const dir = resolve(io.cwd, options.dir ?? '.');
  const shown = (file: string) => relative(io.cwd, file) || '.';
  const policyFile = join(dir, 'security.json');
  const envPath = join(dir, '.env');
  const gitignoreFile = join(dir, '.gitignore');

  const existingEnv = await readIfExists(envPath);
  const policyExists = (await readIfExists(policyFile)) !== null;
  const secretExists = existingEnv !== null && parseEnv(existingEnv).SESSION_SECRET !== undefined;
  if ((policyExists || secretExists) && options.force !== true) {
    const inTheWay = [
      policyExists ? shown(policyFile) : null,
      secretExists ? `SESSION_SECRET in ${shown(envPath)}` : null,
    ]
      .filter((item) => item !== null)
      .join(' and ');
    throw new CommandFailure(
      `${inTheWay} already exist${policyExists && secretExists ? '' : 's'}; nothing written (--force replaces them, and a new secret signs every user out)`,
    );
  }

  await mkdir(dir, { recursive: true });
  const policy = parsePolicy({});
  await writeFile(policyFile, `${JSON.stringify(policy, null, 2)}\n`);

  const kept = existingEnv === null ? '' : existingEnv.replace(SECRET_LINE, '');
  const header =
    existingEnv === null ? '# spartan-sessions: the session secret. Never commit this file.\n' : separator(kept);
  await writeSecretFile(envPath, `${kept}${header}${envLine('SESSION_SECRET', createSecret())}\n`);

  const gitignore = await readIfExists(gitignoreFile);
  let gitignoreNote: string;
  if (gitignore === null) {
    gitignoreNote = `no .gitignore in ${shown(dir)}: keep .env out of version control`;
  } else if (gitignore.split(/\r?\n/).some((line) => IGNORES_ENV.has(line.trim()))) {
    gitignoreNote = `${shown(gitignoreFile)} already ignores .env`;
  } else {
    await writeFile(gitignoreFile, `${gitignore}${separator(gitignore)}.env\n`);
    gitignoreNote = `added .env to ${shown(gitignoreFile)}`;
  }

  const wrote = colour.green('wrote');
  const lines = [
    `${wrote} ${shown(policyFile)}  the secure defaults: idle ${duration(policy.config.duration.idle)}, absolute ${duration(
      policy.config.duration.ttl,
    )}, __Host- cookie, CSRF enforced`,
    `${wrote} ${shown(envPath)}  SESSION_SECRET: ${SECRET_BYTES * 8} bits from the CSPRNG, file mode 0600${
      existingEnv === null ? '' : ' (its other variables kept)'
    }`,
    `${colour.dim('•')} ${gitignoreNote}`,
    '',
    colour.bold('next:'),
    `  1. load ${shown(envPath)} when the app starts (node --env-file=.env app.js) and pass`,
    "     secrets: fetchSecret('SESSION_SECRET') from @spartan-sessions/core/node",
    `  2. fit ${shown(policyFile)} to your app (privileged.paths, csrf.trustedOrigins), then check it:`,
    `     spartan-sessions doctor ${shown(policyFile)} --dotenv ${shown(envPath)}`,
  ];
  io.stdout.write(`${lines.join('\n')}\n`);
}

async function readIfExists(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new CommandFailure(`cannot read ${file}: ${(error as Error).message}`);
  }
}

function separator(text: string): string {
  return text === '' || text.endsWith('\n') ? '' : '\n';
}

/**
 * Writes `text` to `file` with mode 0600 without the secret ever sitting in a more open file:
 * a new file created 0600 next to it, then renamed over it (replacing an existing one whole).
 */
async function writeSecretFile(file: string, text: string): Promise<void> {
  const temporary = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, text, { mode: 0o600, flag: 'wx' });
    // The mode given at creation passes through the umask; 0600 is meant exactly.
    await chmod(temporary, 0o600);
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  if (((await stat(file)).mode & 0o777) !== 0o600) await chmod(file, 0o600);
}
