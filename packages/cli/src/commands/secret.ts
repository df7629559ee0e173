import { fetchSecret } from '@spartan-sessions/core/node';
import { environmentWith, envLine } from '../env-file.js';
import type { CliIo } from '../io.js';
import { createSecret } from '../secret.js';

export interface SecretOptions {
  previous?: boolean;
  dotenv?: string;
}

/**
 * `secret`: a new 256-bit secret on stdout. `--previous`: the two `.env` lines of a rotation,
 * the new secret signing and the current one (from `SESSION_SECRET` or `SESSION_SECRET_FILE`)
 * still verifying; what it means goes to stderr, so stdout can be appended to a file as is.
 */
export function runSecret(options: SecretOptions, io: CliIo): void {
  const fresh = createSecret();
  if (options.previous !== true) {
    io.stdout.write(`${fresh}\n`);
    return;
  }
  // Throws sessions/missing-secret or sessions/weak-secret, never with the value in it.
  const [current = '', ...older] = fetchSecret('SESSION_SECRET', environmentWith(io, options.dotenv));
  io.stdout.write(`${envLine('SESSION_SECRET', fresh)}\n${envLine('SESSION_SECRET_PREVIOUS', current)}\n`);
  const notes = [
    'SESSION_SECRET signs from now on; the old one, in SESSION_SECRET_PREVIOUS, still verifies the cookies it signed.',
    "Remove SESSION_SECRET_PREVIOUS once the policy's absolute timeout (duration.ttl) has passed.",
  ];
  if (older.length > 0) {
    notes.push(
      `The ${older.length} older secret(s) of SESSION_SECRET_PREVIOUS are left out: cookies they signed stop verifying.`,
    );
  }
  io.stderr.write(`${notes.join('\n')}\n`);
}
