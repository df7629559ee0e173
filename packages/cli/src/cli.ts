import { Command, type CommanderError, InvalidArgumentError, Option } from 'commander';
import packageJson from '../package.json' with { type: 'json' };
import { runDoctor } from './commands/doctor.js';
import { runInit } from './commands/init.js';
import { runSecret } from './commands/secret.js';
import { describeError, EXIT, type ExitCode, exitCodeOf, oneLine } from './errors.js';
import { type CliIo, colourEnabled, paint, processIo } from './io.js';

const BIN = 'spartan-sessions';
/** Longest wait for one store call (ms): RedisStore's own default. */
const DEFAULT_TIMEOUT_MS = 2000;

/** A command-line error commander found, with the command it belongs to. */
class ParseFailure extends Error {
  constructor(
    readonly command: string,
    readonly commanderError: CommanderError,
  ) {
    super(commanderError.message);
  }
}

/**
 * Runs the `spartan-sessions` command line `argv` (without `node` and the script) and resolves
 * its exit code: 0 done, 1 failed (or `doctor` found errors), 2 a bad command line. Every error
 * is one line on stderr: `spartan-sessions <command>: <code>: <message>`.
 */
export async function runCli(argv: readonly string[], io: CliIo = processIo()): Promise<ExitCode> {
  let exitCode: ExitCode = EXIT.ok;
  let active = BIN;
  const program = buildProgram(io, (code) => {
    exitCode = code;
  });
  program.hook('preAction', (_program, actionCommand) => {
    active = commandPath(actionCommand);
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof ParseFailure) {
      const cause = error.commanderError;
      // --help, --version, `help`: printed on stdout, done.
      if (cause.exitCode === 0) return EXIT.ok;
      // No (sub)command: commander has printed the help on stderr.
      if (cause.code === 'commander.help') return EXIT.usage;
      const message = oneLine(cause.message.replace(/^error: /, ''));
      io.stderr.write(`${error.command}: sessions/option-type-incorrect: ${message}; see ${error.command} --help\n`);
      return EXIT.usage;
    }
    io.stderr.write(`${active}: ${describeError(error)}\n`);
    return exitCodeOf(error);
  }
}

function buildProgram(io: CliIo, setExitCode: (code: ExitCode) => void): Command {
  const out = paint(colourEnabled(io.stdout, io.env));
  const program = new Command(BIN)
    .description('spartan-sessions from a terminal: policy, secrets and session administration')
    .version(packageJson.version, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help for a command')
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      // Errors are reported by runCli as one line; commander's own line is not printed.
      outputError: () => {},
    })
    .showSuggestionAfterError(true)
    .addHelpText(
      'after',
      `
Exit codes: 0 done; 1 failed (doctor: errors found); 2 bad command line.
Colour only on a terminal; NO_COLOR turns it off, FORCE_COLOR on.`,
    );

  program
    .command('init')
    .description('write a secure security.json and a fresh SESSION_SECRET into .env (mode 0600)')
    .option('-f, --force', 'replace an existing security.json and SESSION_SECRET (a new secret signs every user out)')
    .option('-d, --dir <dir>', 'where to write them', '.')
    .addHelpText(
      'after',
      `
Writes the spec's default policy (core's parsePolicy({})) and 256 bits from the CSPRNG as
SESSION_SECRET; other variables of an existing .env are kept. Adds .env to .gitignore when
the directory has one. Refuses, writing nothing, when either exists without --force.

Example:
  $ ${BIN} init --dir ./my-app`,
    )
    .action(async (options: { force?: boolean; dir?: string }) => {
      await runInit(options, io, out);
    });

  program
    .command('doctor')
    .description('validate a security.json with core and grade it and the secret against OWASP guidance')
    .argument('[path]', 'the policy file', 'security.json')
    .option('--json', 'print the report as JSON (for CI)')
    .option(
      '--dotenv <file>',
      'read SESSION_SECRET, SESSION_SECRET_FILE and SESSION_SECRET_PREVIOUS from this file too',
    )
    .addHelpText(
      'after',
      `
Checks: core's schema (sessions/invalid-policy issues by path); HttpOnly, Secure, SameSite,
the __Host- prefix, Domain; absolute (4-8 h) and idle (15-30 min, 2-5 min high-value) timeouts;
renewal; privileged areas with re-authentication; CSRF mode and https-only trusted origins;
the secret: present, >= 32 characters, entropy estimate, SESSION_SECRET_PREVIOUS for rotation.
A secret's value is never printed. Exit 1 on errors, 0 with warnings only.

Examples:
  $ ${BIN} doctor
  $ ${BIN} doctor config/security.json --dotenv .env --json`,
    )
    .action(async (path: string, options: { json?: boolean; dotenv?: string }) => {
      setExitCode(await runDoctor(path, options, io, out));
    });

  program
    .command('secret')
    .description('print a new 256-bit secret')
    .option(
      '--previous',
      'print the .env lines of a rotation: SESSION_SECRET new, SESSION_SECRET_PREVIOUS the current one',
    )
    .option('--dotenv <file>', 'with --previous: read the current secret from this file too')
    .addHelpText(
      'after',
      `
Examples:
  $ ${BIN} secret
  $ ${BIN} secret --previous --dotenv .env`,
    )
    .action((options: { previous?: boolean; dotenv?: string }) => {
      runSecret(options, io);
    });

  const sessions = program
    .command('sessions')
    .description("list or revoke a user's sessions in the store")
    .addHelpText(
      'after',
      `
Examples:
  $ ${BIN} sessions list --user alice --redis redis://127.0.0.1:6379
  $ ${BIN} sessions revoke --user alice --except Zx3v9QmT0bLk --redis redis://127.0.0.1:6379`,
    );
  const withStoreOptions = (command: Command) =>
    command
      // Checked by the command rather than by commander, so a mistyped --user is reported as
      // the unknown option it is (commander checks mandatory options first).
      .option('-u, --user <id>', 'the user id the application passed to authenticate() (required)')
      .addOption(new Option('--redis <url>', 'a standalone Redis (redis:// or rediss://); default: REDIS_URL'))
      .addOption(
        new Option('--cluster <seeds>', 'a Redis Cluster: comma-separated host:port seeds (repeatable)')
          .argParser(collect)
          .conflicts('redis'),
      )
      .addOption(
        new Option('--mongo <url>', 'MongoDB (mongodb:// or mongodb+srv://, with the database in the path)').conflicts([
          'redis',
          'cluster',
        ]),
      )
      .option('--collection <name>', "with --mongo: the store's collection (MongoStore's collectionName)", 'sessions')
      .option('--prefix <prefix>', "the store's key prefix (RedisStore's prefix option)", 'sess:')
      .option(
        '--policy <file>',
        'the policy the sessions were made under (default: ./security.json if present, else the defaults)',
      )
      .option(
        '--timeout <ms>',
        'longest wait for one store call, in milliseconds',
        positiveInteger,
        DEFAULT_TIMEOUT_MS,
      );

  withStoreOptions(sessions.command('list'))
    .description("list a user's live sessions: key hash, created, last seen, expires, zone (never an id)")
    .option('--json', 'print JSON (times in ms since the epoch)')
    .action(async (_options: unknown, command: Command) => {
      // Loaded on use: ioredis and the store are most of the start-up time of the other commands.
      const { runList } = await import('./commands/sessions.js');
      await runList(command.opts(), io, out);
    });

  withStoreOptions(sessions.command('revoke'))
    .description("end a user's sessions: all of them, or all but one")
    .addOption(new Option('--all', 'end every session of the user (the default)'))
    .addOption(new Option('--except <keyhash>', 'keep the session whose key hash starts with this').conflicts('all'))
    .option('--reason <text>', 'the reason written into the revoked events', 'admin')
    .addHelpText(
      'after',
      `
Prints one JSON line per ended session on stdout, the same 'revoked' event the library emits
({"type":"revoked","at":…,"keyHash":…,"userId":…,"reason":…}), and a summary on stderr.`,
    )
    .action(async (_options: unknown, command: Command) => {
      const { runRevoke } = await import('./commands/sessions.js');
      await runRevoke(command.opts(), io);
    });

  // Every command reports commander's errors through runCli (one line, exit 2).
  for (const command of allCommands(program)) {
    command.exitOverride((error) => {
      throw new ParseFailure(commandPath(command), error);
    });
  }
  return program;
}

function allCommands(command: Command): Command[] {
  return [command, ...command.commands.flatMap(allCommands)];
}

function commandPath(command: Command): string {
  const names: string[] = [];
  for (let current: Command | null = command; current !== null; current = current.parent) names.unshift(current.name());
  return names.join(' ');
}

function positiveInteger(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || !Number.isSafeInteger(Number(value))) {
    throw new InvalidArgumentError('expected a positive whole number');
  }
  return Number(value);
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
