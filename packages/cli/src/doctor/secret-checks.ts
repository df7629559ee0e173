import { isSpartanError, MIN_SECRET_LENGTH } from '@spartan-sessions/core';
import { fetchSecret } from '@spartan-sessions/core/node';
import { estimateEntropyBits } from '../secret.js';
import { type DoctorFinding, finding } from './findings.js';

/** Estimated bits under which a secret is graded an error (`sessions/weak-secret`). */
export const WEAK_SECRET_BITS = 64;
/** Estimated bits under which a secret is graded a warning. */
export const GOOD_SECRET_BITS = 128;

/** What `doctor` learnt about the configured secret: sizes and counts, never a value. */
export interface SecretSummary {
  /** The variable read (`fetchSecret`'s name). */
  variable: string;
  /** Where the signing secret came from: the variable itself, the file `<variable>_FILE` names, or nowhere. */
  source: 'environment' | 'file' | null;
  /** Its length in characters, when there is one. */
  length: number | null;
  /** `estimateEntropyBits` of it, when there is one. */
  estimatedBits: number | null;
  /** How many previous secrets (`<variable>_PREVIOUS`) still verify. */
  previous: number;
}

type Env = Readonly<Record<string, string | undefined>>;

const present = (value: string | undefined): value is string => value !== undefined && value !== '';

/**
 * Checks the secrets `fetchSecret(variable)` would give the application in `env`: present, at
 * least 32 characters (core's rule), not guessable by `estimateEntropyBits`, and whether a
 * previous secret is configured for rotation. Never puts a secret's value in a finding.
 */
export function checkSecrets(
  env: Env,
  variable = 'SESSION_SECRET',
): { summary: SecretSummary; findings: DoctorFinding[] } {
  const findings: DoctorFinding[] = [];
  const fileVariable = `${variable}_FILE`;
  const previousVariable = `${variable}_PREVIOUS`;
  const source = present(env[variable]) ? 'environment' : present(env[fileVariable]) ? 'file' : null;
  const summary: SecretSummary = { variable, source, length: null, estimatedBits: null, previous: 0 };
  if (source === null) {
    findings.push(
      finding(
        'secret.present',
        'info',
        `no ${variable} or ${fileVariable} here, so the secret was not checked (run doctor where the app runs, or pass --dotenv .env)`,
      ),
    );
    return { summary, findings };
  }
  const where = source === 'file' ? `${variable} (from ${fileVariable})` : variable;
  let secrets: string[];
  try {
    secrets = fetchSecret(variable, env);
  } catch (error) {
    if (!isSpartanError(error)) throw error;
    const index = typeof error.details.index === 'number' ? error.details.index : 0;
    const named = index === 0 ? where : `${previousVariable} entry ${index}`;
    const message =
      error.code === 'sessions/weak-secret'
        ? `${named} is shorter than ${MIN_SECRET_LENGTH} characters: the app refuses it`
        : error.message;
    findings.push(finding('secret.strength', 'error', message, { code: error.code }));
    return { summary, findings };
  }
  const [current = '', ...previous] = secrets;
  summary.length = [...current].length;
  summary.estimatedBits = estimateEntropyBits(current);
  summary.previous = previous.length;
  findings.push(strength('secret.strength', where, summary.length, summary.estimatedBits));
  previous.forEach((secret, index) => {
    const graded = strength(
      'secret.previous',
      `${previousVariable} entry ${index + 1}`,
      [...secret].length,
      estimateEntropyBits(secret),
    );
    // A previous secret still verifies cookies, so a guessable one still lets cookies be forged.
    if (graded.severity !== 'ok') findings.push(graded);
  });
  if (previous.length === 0) {
    findings.push(
      finding(
        'secret.previous',
        'info',
        `no ${previousVariable}: when you rotate, keep the old secret there so signed-in users stay signed in (spartan-sessions secret --previous)`,
      ),
    );
  } else if (previous.includes(current)) {
    findings.push(
      finding('secret.previous', 'warning', `${previousVariable} repeats ${variable}: nothing was rotated`),
    );
  } else {
    findings.push(
      finding(
        'secret.previous',
        'ok',
        `${previous.length} previous secret(s) in ${previousVariable} still verify (rotation)`,
      ),
    );
  }
  return { summary, findings };
}

function strength(check: string, name: string, length: number, bits: number): DoctorFinding {
  const facts = `${name}: ${length} characters, about ${bits} bits of entropy (estimate)`;
  if (bits < WEAK_SECRET_BITS) {
    return finding(check, 'error', `${facts}: guessable; make one with \`spartan-sessions secret\``, {
      code: 'sessions/weak-secret',
    });
  }
  if (bits < GOOD_SECRET_BITS) {
    return finding(check, 'warning', `${facts}: under ${GOOD_SECRET_BITS} bits; \`spartan-sessions secret\` makes 256`);
  }
  return finding(check, 'ok', facts);
}
