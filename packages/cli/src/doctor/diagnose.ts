import { isSpartanError, type SpartanErrorCode, type SpartanErrorDetails } from '@spartan-sessions/core';
import { readPolicy } from '@spartan-sessions/core/node';
import type { DoctorFinding } from './findings.js';
import { gradePolicy } from './policy-checks.js';
import { checkSecrets, type SecretSummary } from './secret-checks.js';

/** What `doctor --json` prints. */
export interface DoctorReport {
  policy: {
    /** The file checked, as given. */
    path: string;
    /** Whether core's `parsePolicy` accepted it. */
    valid: boolean;
    /** Core's `sessions/invalid-policy` error when it did not (`details.issues` names every bad path). */
    error?: { code: SpartanErrorCode; message: string; details: SpartanErrorDetails; cause?: string };
  };
  secret: SecretSummary;
  /** Every check, in a stable order: the policy's, then the secret's. */
  findings: DoctorFinding[];
  summary: { errors: number; warnings: number; info: number; ok: number };
  /** 1 when any finding is an error, else 0. */
  exitCode: 0 | 1;
}

export interface DiagnoseOptions {
  /** The `security.json` to check. */
  path: string;
  /** Where the secret is looked up (`SESSION_SECRET`, `SESSION_SECRET_FILE`, `SESSION_SECRET_PREVIOUS`). */
  env: Readonly<Record<string, string | undefined>>;
}

/**
 * Validates a policy file with core's own `readPolicy` (the same zod schema and error paths as
 * the library), grades it against OWASP session guidance, and checks the configured secret.
 */
export async function diagnosePolicy(options: DiagnoseOptions): Promise<DoctorReport> {
  const findings: DoctorFinding[] = [];
  const policy: DoctorReport['policy'] = { path: options.path, valid: false };
  try {
    const parsed = await readPolicy(options.path);
    policy.valid = true;
    findings.push({ check: 'policy.valid', severity: 'ok', message: 'the policy is valid' });
    findings.push(...gradePolicy(parsed));
  } catch (error) {
    if (!isSpartanError(error, 'sessions/invalid-policy')) throw error;
    policy.error = { code: error.code, message: error.message, details: error.details };
    // Why a file could not be read or parsed (ENOENT, a JSON syntax error): no secret is in it.
    if (error.cause instanceof Error) policy.error.cause = error.cause.message;
    const issues = Array.isArray(error.details.issues) ? (error.details.issues as unknown[]) : [];
    for (const issue of issues) {
      const { path, message } = issue as { path: string; message: string };
      findings.push({ check: 'policy.valid', severity: 'error', path, message, code: error.code });
    }
  }
  const secret = checkSecrets(options.env);
  findings.push(...secret.findings);
  const count = (severity: DoctorFinding['severity']) => findings.filter((item) => item.severity === severity).length;
  const summary = { errors: count('error'), warnings: count('warning'), info: count('info'), ok: count('ok') };
  return { policy, secret: secret.summary, findings, summary, exitCode: summary.errors > 0 ? 1 : 0 };
}
