import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  isSpartanError,
  keyHashOf,
  type Policy,
  parsePolicy,
  type SessionEvent,
  SessionManager,
  type SessionStore,
  type StoredSession,
  type UserSessionEntry,
} from '@spartan-sessions/core';
import { fetchSecret, nodeCrypto, readPolicy } from '@spartan-sessions/core/node';
import { CommandFailure, usageError } from '../errors.js';
import type { CliIo, Paint } from '../io.js';
import { createSecret } from '../secret.js';
import { type OpenedStore, openStore, type StoreOptions } from './store.js';

export interface SessionsOptions extends StoreOptions {
  user?: string;
  policy?: string;
  json?: boolean;
}

export interface RevokeOptions extends SessionsOptions {
  all?: boolean;
  except?: string;
  reason?: string;
}

/** One row of `sessions list`: no raw id (the store never has one), only the key's short hash. */
export interface ListedSession {
  /** `keyHashOf(key)`: the first 12 characters of the store key, as in core's audit events. */
  keyHash: string;
  /** Times in milliseconds since the epoch. */
  createdAt: number;
  lastSeenAt: number;
  /** When the session ends under the policy: the earlier of its absolute and idle limits. */
  expiresAt: number;
  zone: StoredSession['zone'];
  authenticatedAt: number | null;
}

const KEY_HASH = /^[A-Za-z0-9_-]{4,22}$/;

/** `sessions list --user ID`: the user's live sessions, oldest first. */
export async function runList(options: SessionsOptions, io: CliIo, colour: Paint): Promise<void> {
  const userId = checkUser(options.user);
  const { policy, policyName } = await policyFor(options, io);
  await withStore(options, io, async (opened) => {
    const entries = await liveEntries(opened.store, userId);
    const sessions = entries
      .map(({ key, record }) => listed(key, record, policy))
      .sort((a, b) => a.createdAt - b.createdAt || a.keyHash.localeCompare(b.keyHash));
    if (options.json === true) {
      io.stdout.write(`${JSON.stringify({ userId, sessions })}\n`);
      return;
    }
    const heading = `${sessions.length} session(s) of ${userId} in ${opened.description} (${opened.scope}; expiry per ${policyName})`;
    const rows = sessions.map((session) => [
      session.keyHash,
      time(session.createdAt),
      time(session.lastSeenAt),
      session.expiresAt <= Date.now() ? `${time(session.expiresAt)} (past)` : time(session.expiresAt),
      session.zone,
    ]);
    io.stdout.write(`${colour.bold(heading)}\n`);
    if (rows.length > 0) io.stdout.write(table(['KEY HASH', 'CREATED', 'LAST SEEN', 'EXPIRES', 'ZONE'], rows, colour));
  });
}

/**
 * `sessions revoke --user ID [--all | --except KEYHASH]`: ends the user's sessions (all of them
 * by default, all but one with `--except`) through core's `SessionManager.revokeUser`, printing
 * its `revoked` events as JSON lines on stdout (an audit trail to append to a log) and a
 * one-line summary on stderr. The manager ends every record the store still holds for the
 * user, also one the policy given here counts as expired, and lists again until none is left.
 */
export async function runRevoke(options: RevokeOptions, io: CliIo): Promise<void> {
  const userId = checkUser(options.user);
  const reason = options.reason ?? 'admin';
  if (!/^[\x21-\x7e][\x20-\x7e]{0,63}$/.test(reason)) {
    throw usageError('--reason: 1 to 64 printable ASCII characters', { option: '--reason' });
  }
  const except = options.except;
  if (except !== undefined && !KEY_HASH.test(except)) {
    throw usageError('--except: a key hash is 4 to 22 base64url characters (as `sessions list` shows)', {
      option: '--except',
    });
  }
  const { policy } = await policyFor(options, io);
  const emit = (event: SessionEvent) => {
    if (event.type === 'revoked') io.stdout.write(`${JSON.stringify(event)}\n`);
  };
  await withStore(options, io, async (opened) => {
    const manager = new SessionManager({
      policy,
      // It signs nothing here; see managerSecrets.
      secrets: managerSecrets(io.env),
      store: opened.store,
      crypto: nodeCrypto,
      onEvent: emit,
      storeTimeout: options.timeout ?? 2000,
    });
    let ended: number;
    try {
      ended = await manager.revokeUser(userId, reason, { except });
    } catch (error) {
      if (isSpartanError(error, 'sessions/option-type-incorrect') && error.details.option === 'except') {
        const matches = error.details.matches;
        throw new CommandFailure(
          matches === 0
            ? `no live session of ${userId} has key hash ${except}; nothing revoked`
            : `key hash ${except} matches ${String(matches)} sessions of ${userId}; give more characters; nothing revoked`,
        );
      }
      throw error;
    }
    const kept = except === undefined ? '' : `, kept ${except}`;
    io.stderr.write(`ended ${ended} session(s) of ${userId} in ${opened.description}${kept}\n`);
  });
}

/** What the store lists for the user (it checks every record; the `userId` test guards a stale index). */
async function liveEntries(store: SessionStore, userId: string): Promise<UserSessionEntry[]> {
  return (await store.listByUser(userId)).filter((entry) => entry.record.userId === userId);
}

/**
 * `SessionManager` insists on secrets though `revokeUser` signs nothing: `SESSION_SECRET` (or
 * `SESSION_SECRET_FILE`) when it is set and valid, else a throwaway random one.
 */
function managerSecrets(env: CliIo['env']): string[] {
  try {
    return fetchSecret('SESSION_SECRET', env);
  } catch {
    return [createSecret()];
  }
}

function checkUser(user: string | undefined): string {
  if (user === undefined) throw usageError('--user <id> is required', { option: '--user' });
  if (user.length === 0) throw usageError('--user: a user id is a non-empty string', { option: '--user' });
  return user;
}

/** `--policy FILE`, else `security.json` where the command runs when there is one, else core's defaults. */
async function policyFor(options: SessionsOptions, io: CliIo): Promise<{ policy: Policy; policyName: string }> {
  if (options.policy !== undefined) {
    return { policy: await readPolicy(resolve(io.cwd, options.policy)), policyName: options.policy };
  }
  const local = resolve(io.cwd, 'security.json');
  if (existsSync(local)) return { policy: await readPolicy(local), policyName: 'security.json' };
  return { policy: parsePolicy({}), policyName: 'the default policy' };
}

async function withStore(options: StoreOptions, io: CliIo, use: (opened: OpenedStore) => Promise<void>): Promise<void> {
  const opened = await openStore(options, io.env);
  try {
    await use(opened);
  } finally {
    await opened.close();
  }
}

function listed(key: string, record: StoredSession, policy: Policy): ListedSession {
  const { duration, privileged } = policy.config;
  const idle = (record.zone === 'privileged' ? privileged.idle : duration.idle) * 1000;
  return {
    keyHash: keyHashOf(key),
    createdAt: record.createdAt,
    lastSeenAt: record.lastSeenAt,
    // The same rule as core's manager: the earlier of the absolute and the idle limit.
    expiresAt: Math.min(record.createdAt + duration.ttl * 1000, record.lastSeenAt + idle),
    zone: record.zone,
    authenticatedAt: record.authenticatedAt,
  };
}

/** `2026-11-28T10:15:02Z`: UTC, to the second. */
function time(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function table(header: string[], rows: string[][], colour: Paint): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]?.length ?? 0)));
  const format = (cells: string[]) =>
    cells.map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0))).join('  ');
  return `${[colour.dim(format(header)), ...rows.map(format)].join('\n')}\n`;
}
