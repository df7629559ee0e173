/**
 * `@spartan-sessions/cli`: the `spartan-sessions` command line, and what it is made of for
 * programs that want the same checks (a test that runs `diagnosePolicy` in CI, say).
 */
export { runCli } from './cli.js';
export type { ListedSession } from './commands/sessions.js';
export { type DiagnoseOptions, type DoctorReport, diagnosePolicy } from './doctor/diagnose.js';
export type { DoctorFinding, Severity } from './doctor/findings.js';
export { gradePolicy, OWASP_RANGES } from './doctor/policy-checks.js';
export { checkSecrets, type SecretSummary } from './doctor/secret-checks.js';
export { EXIT, type ExitCode } from './errors.js';
export type { CliIo, OutputStream } from './io.js';
export { createSecret, estimateEntropyBits } from './secret.js';
