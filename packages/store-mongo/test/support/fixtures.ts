import { randomUUID } from 'node:crypto';
import type { StoredSession } from '@spartan-sessions/core';
import { makeStoredSession } from '@spartan-sessions/core/testing';

/** A fresh key shaped like core's (a base64url hash). */
export const newKey = (): string => randomUUID().replaceAll('-', '').padEnd(43, 'x');

export const record = (overrides: Partial<StoredSession> = {}): StoredSession => makeStoredSession(overrides);

/** Session data a handler may legally hold whose keys MongoDB refuses or misreads as field names. */
export function awkwardData(): Record<string, unknown> {
  return {
    $where: 'function () { return true }',
    $set: { admin: true },
    'a.b': 1,
    'a.b.c': { 'd.e': ['$x', { $gt: 0 }] },
    '.leading': 'dot',
    'trailing.': 'dot',
    $: 'dollar alone',
    nested: { $inc: { n: 1 }, 'x.y': null, list: [{ $unset: '' }] },
    _id: 'not the key',
    expiresAt: 'not a date',
    version: 'not the version',
    loneSurrogate: 'a\ud800b',
    nul: 'a\u0000b',
  };
}

/** Field names MongoDB refuses or misreads in a stored document (`$`-prefixed, dotted), anywhere in it. */
export function badFieldNames(value: unknown, path = ''): string[] {
  if (typeof value !== 'object' || value === null || value instanceof Date) return [];
  if (Array.isArray(value)) return value.flatMap((item, index) => badFieldNames(item, `${path}[${index}]`));
  return Object.entries(value).flatMap(([name, inner]) => [
    ...(name.startsWith('$') || name.includes('.') || name.includes('\0') ? [`${path}.${name}`] : []),
    ...badFieldNames(inner, `${path}.${name}`),
  ]);
}
