import { resolve } from 'node:path';
import { type DoctorReport, diagnosePolicy } from '../doctor/diagnose.js';
import type { DoctorFinding, Severity } from '../doctor/findings.js';
import { environmentWith } from '../env-file.js';
import type { CliIo, Paint } from '../io.js';

export interface DoctorOptions {
  json?: boolean;
  dotenv?: string;
}

/** `doctor [path]`: the report as text (or JSON with `--json`); resolves the exit code (1 on errors). */
export async function runDoctor(path: string, options: DoctorOptions, io: CliIo, colour: Paint): Promise<0 | 1> {
  const env = environmentWith(io, options.dotenv);
  const report = await diagnosePolicy({ path: resolve(io.cwd, path), env });
  report.policy.path = path;
  io.stdout.write(options.json === true ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report, colour));
  return report.exitCode;
}

const LABELS: Record<Severity, string> = { error: 'error', warning: 'warn', info: 'info', ok: 'ok' };

/** The human form: one line per finding, the policy's first, then the secret's, then a verdict. */
export function formatReport(report: DoctorReport, colour: Paint): string {
  const paintLabel: Record<Severity, (text: string) => string> = {
    error: colour.red,
    warning: colour.yellow,
    info: colour.cyan,
    ok: colour.green,
  };
  const line = (item: DoctorFinding) => {
    const label = paintLabel[item.severity](LABELS[item.severity].padEnd(5));
    const where = item.path === undefined ? '' : colour.dim(`  [${item.path}]`);
    return `  ${label} ${item.message}${where}`;
  };
  const lines: string[] = [colour.bold(`policy ${report.policy.path}`)];
  if (report.policy.error !== undefined) {
    const { code, cause } = report.policy.error;
    lines.push(`  ${colour.red('error')} ${code}: core refuses this policy${cause === undefined ? '' : ` (${cause})`}`);
  }
  const isSecret = (item: DoctorFinding) => item.check.startsWith('secret.');
  lines.push(...report.findings.filter((item) => !isSecret(item)).map(line));
  lines.push(colour.bold(`secret ${report.secret.variable}`));
  lines.push(...report.findings.filter(isSecret).map(line));
  const { errors, warnings, info, ok } = report.summary;
  const counts = `${errors} error(s), ${warnings} warning(s), ${info} note(s), ${ok} passed`;
  lines.push('', errors > 0 ? colour.red(`${counts}: fix the errors (exit 1)`) : colour.green(`${counts}: no errors`));
  return `${lines.join('\n')}\n`;
}
