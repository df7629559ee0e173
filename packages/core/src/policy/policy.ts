import { z } from 'zod';
import { isValidCookieDomain, isValidCookiePath } from '../cookie/serialize.js';
import { SpartanError } from '../errors/errors.js';

/** Durations in a policy are whole seconds. */
const seconds = z.number().int().nonnegative();
const positiveSeconds = z.number().int().positive();

/** Exact `scheme://host[:port]`, nothing else (no path, no userinfo, no trailing slash). */
const originPattern = /^(https?):\/\/(\[[0-9a-fA-F:.]+\]|[a-zA-Z0-9.-]+)(:\d{1,5})?$/;

const cookieName = z
  .string()
  .min(1)
  // RFC 6265 §4.1.1: a cookie-name is an HTTP token.
  .regex(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/, 'must be an RFC 6265 token')
  .refine((name) => !/^__(host|secure)-/i.test(name), 'must not carry a prefix: set cookies.prefix instead');

const pathPrefix = z.string().startsWith('/', 'must start with "/"');
/** The session cookie's Path and Domain: what `cookieMaker` accepts for its own (issue 12, item 9). */
const cookiePath = z
  .string()
  .refine(isValidCookiePath, 'must start with "/" and hold no space, ";", "," or control character (<= 1024)');
const cookieDomain = z
  .string()
  .refine(isValidCookieDomain, 'must be a host name (letters, digits, hyphens, dots; no space, ",", ";" or port)');

const policySchema = z
  .object({
    sessionPolicy: z
      .object({ enabled: z.boolean().default(true) })
      .strict()
      .default({ enabled: true }),
    config: z
      .object({
        name: cookieName.default('spartan'),
        path: cookiePath.default('/'),
        domain: cookieDomain.nullable().default(null),
        cookies: z
          .object({
            httpOnly: z.boolean().default(true),
            secure: z.boolean().default(true),
            sameSite: z.enum(['strict', 'lax', 'none']).default('lax'),
            prefix: z.enum(['auto', 'host', 'secure', 'none']).default('auto'),
          })
          .strict()
          .prefault({}),
        duration: z
          .object({
            ttl: positiveSeconds.default(43200),
            idle: positiveSeconds.default(1800),
            renewal: seconds.default(900),
            touchAfter: seconds.default(60),
          })
          .strict()
          .prefault({}),
        privileged: z
          .object({
            paths: z.array(pathPrefix).default([]),
            exclude: z.array(pathPrefix).default([]),
            idle: positiveSeconds.default(300),
            reauthAfter: positiveSeconds.default(600),
          })
          .strict()
          .prefault({}),
        csrf: z
          .object({
            trustedOrigins: z
              .array(z.string().regex(originPattern, 'must be an exact scheme://host[:port]'))
              .default([]),
            header: z
              .string()
              .regex(/^[a-z0-9-]+$/i, 'must be an HTTP header name')
              .transform((header) => header.toLowerCase())
              .default('x-csrf-token'),
            field: z.string().min(1).default('_csrf'),
            mode: z.enum(['enforce', 'report']).default('enforce'),
          })
          .strict()
          .prefault({}),
        logout: z
          .object({ clearSiteData: z.array(z.enum(['cache', 'cookies', 'storage'])).default(['cache']) })
          .strict()
          .prefault({}),
        users: z
          .object({ maxSessions: z.number().int().nonnegative().default(0) })
          .strict()
          .prefault({}),
        transport: z
          .object({ trustProxy: z.boolean().default(false), localhostIsSecure: z.boolean().default(true) })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .superRefine((policy, ctx) => {
    const { cookies, path, domain, duration, privileged } = policy.config;
    // RFC 6265bis §4.1.3: `__Host-` needs Secure, Path=/ and no Domain; `__Secure-` needs Secure.
    if (cookies.prefix === 'host') {
      if (!cookies.secure)
        ctx.addIssue({
          code: 'custom',
          path: ['config', 'cookies', 'secure'],
          message: 'prefix "host" needs secure: true',
        });
      if (path !== '/')
        ctx.addIssue({ code: 'custom', path: ['config', 'path'], message: 'prefix "host" needs path "/"' });
      if (domain !== null)
        ctx.addIssue({ code: 'custom', path: ['config', 'domain'], message: 'prefix "host" needs domain: null' });
    }
    if (cookies.prefix === 'secure' && !cookies.secure) {
      ctx.addIssue({
        code: 'custom',
        path: ['config', 'cookies', 'secure'],
        message: 'prefix "secure" needs secure: true',
      });
    }
    // Browsers drop SameSite=None cookies that are not Secure.
    if (cookies.sameSite === 'none' && !cookies.secure) {
      ctx.addIssue({
        code: 'custom',
        path: ['config', 'cookies', 'sameSite'],
        message: 'sameSite "none" needs secure: true',
      });
    }
    if (duration.idle > duration.ttl) {
      ctx.addIssue({ code: 'custom', path: ['config', 'duration', 'idle'], message: 'idle must not exceed ttl' });
    }
    if (privileged.idle > duration.idle) {
      ctx.addIssue({
        code: 'custom',
        path: ['config', 'privileged', 'idle'],
        message: 'privileged idle must not exceed idle',
      });
    }
  });

/** The `security.json` document as a user writes it: every field optional, defaults applied. */
export type PolicyInput = z.input<typeof policySchema>;
/** The validated policy with every default filled in. */
export type Policy = z.output<typeof policySchema>;
export type PolicyConfig = Policy['config'];

/**
 * Validates a `security.json` document (already parsed from JSON) and fills in the secure
 * defaults. Throws `sessions/invalid-policy` whose `details.issues` names every bad path.
 */
export function parsePolicy(input: unknown = {}): Policy {
  if (isParsedPolicy(input)) return input;
  const result = policySchema.safeParse(input ?? {});
  if (result.success) {
    const policy = deepFreeze(result.data);
    PARSED.add(policy);
    return policy;
  }
  const issues = result.error.issues.map((issue) => ({
    path: issue.path.map(String).join('.') || '(root)',
    message: issue.message,
  }));
  throw new SpartanError(
    'sessions/invalid-policy',
    `The security policy is invalid: ${issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ')}`,
    { issues },
  );
}

/**
 * Policies `parsePolicy` made. Only these skip validation: a frozen object that merely looks
 * like a parsed policy (the same keys, `Object.freeze`d by hand) is validated like any input.
 */
const PARSED = new WeakSet<object>();

/** Whether `value` is a policy `parsePolicy` returned (and so needs no validation). */
export function isParsedPolicy(value: unknown): value is Policy {
  return typeof value === 'object' && value !== null && PARSED.has(value);
}

/** The default policy (every secure default). */
export function defaultPolicy(): Policy {
  return parsePolicy({});
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
