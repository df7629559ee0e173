import type { SpartanErrorCode } from '@spartan-sessions/core';

/**
 * How a finding grades: `error` makes `doctor` exit 1 (insecure, or the app will not start);
 * `warning` is outside OWASP guidance but may be a deliberate choice; `info` is advice that
 * depends on the application; `ok` is a check that passed.
 */
export type Severity = 'error' | 'warning' | 'info' | 'ok';

export interface DoctorFinding {
  /** Stable name of the check, e.g. `timeout.idle`, for CI filters. */
  check: string;
  severity: Severity;
  /** The policy field it is about, as core names paths (`config.duration.idle`), when there is one. */
  path?: string;
  /** One sentence; never a secret's value. */
  message: string;
  /** The `SpartanError` code core throws for the same problem, when there is one. */
  code?: SpartanErrorCode;
}

export function finding(
  check: string,
  severity: Severity,
  message: string,
  extra: { path?: string; code?: SpartanErrorCode } = {},
): DoctorFinding {
  const result: DoctorFinding = { check, severity, message };
  if (extra.path !== undefined) result.path = extra.path;
  if (extra.code !== undefined) result.code = extra.code;
  return result;
}

/** `43200` → `12 h`, `1800` → `30 min`, `90` → `90 s`. */
export function duration(seconds: number): string {
  if (seconds >= 3600 && seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds >= 3600) return `${(seconds / 3600).toFixed(1)} h`;
  if (seconds >= 60 && seconds % 60 === 0) return `${seconds / 60} min`;
  if (seconds >= 60) return `${(seconds / 60).toFixed(1)} min`;
  return `${seconds} s`;
}
