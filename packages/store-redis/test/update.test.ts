import { isSpartanError, type StoredSession, type StoredSessionChanges } from '@spartan-sessions/core';
import { encodeSessionChanges } from '@spartan-sessions/core/store';
import type { Redis } from 'ioredis';
import { beforeAll, describe, expect, it } from 'vitest';
import { RedisStore } from '../src/index.js';
import { encodeSession } from '../src/internal/codec.js';
import { newKey, record, useSharedRedis } from './support/fixtures.js';
import { holdingClient } from './support/intercept.js';

// RedisStore.update (the server-side delta save) on the shared Redis of the test environment:
// what it leaves in Redis, expiry, the user index, folding the patch log, old values, the option.
const HOUR = 3_600_000;

const shared = useSharedRedis();
let client: Redis;
let prefix: string;
let store: RedisStore;

beforeAll(() => {
  ({ client, prefix } = shared);
  store = new RedisStore({ client, prefix });
});

const sessionKey = (key: string) => `${prefix}s:${key}`;
const indexKey = (user: string) => `${prefix}u:${user}`;
/** How many patches a raw value carries after its record. */
const patchCount = (value: string | null) => (value === null ? -1 : value.split('\n').length - 1);
const changes = (
  set: Record<string, unknown>,
  unset: string[] = [],
  lastSeenAt = Date.now(),
): StoredSessionChanges => ({
  set,
  unset,
  lastSeenAt,
});

function update(key: string, delta: StoredSessionChanges, expiresAt = Date.now() + HOUR, on = store) {
  if (on.update === undefined) throw new Error('the store has no update');
  return on.update(key, delta, { expiresAt });
}

async function create(key: string, stored: StoredSession, expiresAt = Date.now() + HOUR): Promise<void> {
  expect(await store.set(key, stored, { expiresAt, expectedVersion: null })).toBe(true);
}

describe('RedisStore.update on standalone Redis', () => {
  it('appends the patch to the stored value (head version moved by one); a read returns the merged record', async () => {
    const key = newKey();
    const stored = record({ data: { keep: 1, drop: true } });
    await create(key, stored);
    const before = await client.get(sessionKey(key));
    const delta = changes({ added: { list: [1] } }, ['drop'], stored.lastSeenAt + 5000);
    expect(await update(key, delta)).toBe(2);
    const after = await client.get(sessionKey(key));
    expect(after).toBe(`${before?.replace(/^\[1,/, '[2,')}\n${encodeSessionChanges(delta)}`);
    expect(await store.get(key)).toEqual({
      ...stored,
      version: 2,
      lastSeenAt: stored.lastSeenAt + 5000,
      data: { keep: 1, added: { list: [1] } },
    });
  });

  it('moves the expiry forward with a later expiresAt and never back with an earlier one', async () => {
    const key = newKey();
    const first = Date.now() + 60_000;
    await create(key, record(), first);
    expect(Number(await client.pexpiretime(sessionKey(key)))).toBe(first);
    const later = Date.now() + HOUR;
    await update(key, changes({ a: 1 }), later);
    expect(Number(await client.pexpiretime(sessionKey(key)))).toBe(later);
    const pttl = Number(await client.pttl(sessionKey(key)));
    expect(pttl).toBeGreaterThan(HOUR - 10_000);
    await update(key, changes({ b: 2 }), Date.now() + 60_000);
    expect(Number(await client.pexpiretime(sessionKey(key)))).toBe(later);
    // Even one in the past (it would delete the key under a compare-and-set).
    expect(await update(key, changes({ c: 3 }), Date.now() - 1000)).toBe(4);
    expect(Number(await client.pexpiretime(sessionKey(key)))).toBe(later);
    expect((await store.get(key))?.data).toEqual({ passport: { user: 'u123' }, counter: 3, a: 1, b: 2, c: 3 });
  });

  it('a get that finds at least 32 patches folds them into the record (value and expiry kept)', async () => {
    const key = newKey();
    // Longer than its 31 patches: only the count makes it fold (see the small record below).
    const filler = 'f'.repeat(2000);
    const stored = record({ userId: `fold-${newKey()}`, data: { start: true, filler } });
    await create(key, stored);
    const expected: Record<string, unknown> = { start: true, filler };
    for (let i = 0; i < 31; i++) {
      await update(key, changes({ [`k${i}`]: i }, i === 30 ? ['start'] : []));
      expected[`k${i}`] = i;
    }
    delete expected.start;
    // 31 patches: below the threshold, a read leaves them.
    expect((await store.get(key))?.data).toEqual(expected);
    expect(patchCount(await client.get(sessionKey(key)))).toBe(31);
    await update(key, changes({ k31: 31 }));
    expected.k31 = 31;
    const expiry = Number(await client.pexpiretime(sessionKey(key)));
    const read = await store.get(key);
    expect(read?.data).toEqual(expected);
    expect(read?.version).toBe(33);
    await expect.poll(async () => patchCount(await client.get(sessionKey(key)))).toBe(0);
    expect(await client.get(sessionKey(key))).toBe(
      encodeSession(read as StoredSession, readIndexedUntil(await client.get(sessionKey(key)))),
    );
    expect(await store.get(key)).toEqual(read);
    expect(Number(await client.pexpiretime(sessionKey(key)))).toBe(expiry);
    // Updates go on from the folded record.
    expect(await update(key, changes({ after: 1 }))).toBe(34);
    expect((await store.get(key))?.data).toEqual({ ...expected, after: 1 });
  });

  it('a small record folds as soon as its patches (at least 2) are as long as it is', async () => {
    const key = newKey();
    await create(key, record({ data: { n: 0 } }));
    await update(key, changes({ n: 1 }));
    // One patch: left, whatever its length.
    expect((await store.get(key))?.data).toEqual({ n: 1 });
    expect(patchCount(await client.get(sessionKey(key)))).toBe(1);
    await update(key, changes({ n: 2 }));
    const value = await client.get(sessionKey(key));
    const recordPart = value?.slice(0, value.indexOf('\n')) ?? '';
    expect((value?.length ?? 0) - recordPart.length).toBeGreaterThanOrEqual(recordPart.length);
    const read = await store.get(key);
    expect(read?.data).toEqual({ n: 2 });
    await expect.poll(async () => patchCount(await client.get(sessionKey(key)))).toBe(0);
    expect(await store.get(key)).toEqual(read);
  });

  it('a fold keeps the updates appended between its read and its write', async () => {
    const key = newKey();
    await create(key, record({ data: {} }));
    for (let i = 0; i < 40; i++) await update(key, changes({ [`before${i}`]: i }));
    const holding = holdingClient(client, 'spartanSessionsFold', sessionKey(key));
    const reader = new RedisStore({ client: holding.client, prefix });
    const read = await reader.get(key);
    await holding.held.reached;
    for (let i = 0; i < 5; i++) expect(await update(key, changes({ [`during${i}`]: i }))).toBe(42 + i);
    holding.held.release();
    // The fold replaced the 40 patches it read; the 5 appended meanwhile are still there.
    await expect.poll(async () => patchCount(await client.get(sessionKey(key)))).toBe(5);
    const merged = await store.get(key);
    expect(merged?.version).toBe(46);
    expect(merged?.data).toEqual({
      ...read?.data,
      ...Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`during${i}`, i])),
    });
    expect(Object.keys(merged?.data ?? {})).toHaveLength(45);
  });

  it('a fold that lands after a compare-and-set replaced the record changes nothing', async () => {
    const key = newKey();
    await create(key, record({ data: {} }));
    for (let i = 0; i < 40; i++) await update(key, changes({ [`k${i}`]: i }));
    const seen = await store.get(key);
    expect(seen?.version).toBe(41);
    await expect.poll(async () => patchCount(await client.get(sessionKey(key)))).toBe(0);
    const whole = record({ version: 42, data: { only: 'this' } });
    expect(await store.set(key, whole, { expiresAt: Date.now() + HOUR, expectedVersion: 41 })).toBe(true);
    // Version 87 with 45 patches (as many as the fold read and more): "version − patch count"
    // is 42, where the read saw 41 − 40 = 1.
    for (let i = 0; i < 45; i++) await update(key, changes({ [`n${i}`]: i }));
    const value = await client.get(sessionKey(key));
    // The fold that read (41, 40 patches) arriving only now, as a slow one would.
    const folded = await (client as unknown as FoldCommand).spartanSessionsFold(
      sessionKey(key),
      '41',
      '40',
      encodeSession(seen as StoredSession).replace(/^\[\d+,\d+,/, ''),
    );
    expect(folded).toBe(0);
    expect(await client.get(sessionKey(key))).toBe(value);
    expect((await store.get(key))?.data).toEqual({
      only: 'this',
      ...Object.fromEntries(Array.from({ length: 45 }, (_, i) => [`n${i}`, i])),
    });
  });

  it('no update is lost when 200 updates of distinct keys race 20 reads that fold', async () => {
    const key = newKey();
    await create(key, record({ data: {} }));
    // Several store instances, so several folds may be in flight at once (one per instance).
    const readers = Array.from({ length: 4 }, () => new RedisStore({ client, prefix }));
    const writes = Array.from({ length: 200 }, (_, i) => update(key, changes({ [`w${i}`]: i })));
    const reads = Array.from({ length: 20 }, (_, i) => readers[i % 4]!.get(key));
    const [versions, records] = await Promise.all([Promise.all(writes), Promise.all(reads)]);
    expect([...versions].sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual(Array.from({ length: 200 }, (_, i) => i + 2));
    for (const read of records) {
      // Every read is a consistent record: one key per update it counts.
      expect(Object.keys(read?.data ?? {})).toHaveLength((read?.version ?? 1) - 1);
    }
    const expected = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`w${i}`, i]));
    const final = await store.get(key);
    expect(final?.version).toBe(201);
    expect(final?.data).toEqual(expected);
    // Folded: fewer patches than the threshold are left (a read folds once there are 32).
    await expect.poll(async () => patchCount(await client.get(sessionKey(key)))).toBeLessThan(32);
    expect(await store.get(key)).toEqual(final);
  });

  it("extends the user's index first when the new expiry outruns the head's indexedUntil", async () => {
    const key = newKey();
    const user = `index-${newKey()}`;
    const stored = record({ userId: user });
    await create(key, stored, Date.now() + 60_000);
    const scoreBefore = Number(await client.zscore(indexKey(user), key));
    const expiresAt = Date.now() + 2 * HOUR;
    expect(scoreBefore).toBeLessThan(Math.ceil(expiresAt / 1000));
    expect(await update(key, changes({ a: 1 }, [], stored.lastSeenAt), expiresAt)).toBe(2);
    const score = Number(await client.zscore(indexKey(user), key));
    expect(score).toBeGreaterThanOrEqual(Math.ceil(expiresAt / 1000));
    // The head records the new coverage, so the next updates skip the index.
    expect(readIndexedUntil(await client.get(sessionKey(key)))).toBe(score);
    const listed = await store.listByUser(user);
    expect(listed).toEqual([{ key, record: { ...stored, version: 2, data: { ...stored.data, a: 1 } } }]);
    expect(await update(key, changes({ b: 2 }), expiresAt + 1000)).toBe(3);
    expect(Number(await client.zscore(indexKey(user), key))).toBe(score);
  });

  it('reads and updates a value in the format of earlier versions (no patches, written as they wrote it)', async () => {
    const key = newKey();
    const user = `old-${newKey()}`;
    const stored = record({ version: 7, userId: user, csrfSecret: 'secret', data: { cart: [1] } });
    const expiresAt = Date.now() + HOUR;
    await client.set(sessionKey(key), encodeSession(stored, Math.ceil(expiresAt / 1000) + 60), 'PXAT', expiresAt);
    await client.zadd(indexKey(user), Math.ceil(expiresAt / 1000) + 60, key);
    expect(await store.get(key)).toEqual(stored);
    expect(
      await update(key, { set: { cart: [1, 2] }, unset: [], lastSeenAt: stored.lastSeenAt, csrfSecret: 'next' }),
    ).toBe(8);
    expect(await store.get(key)).toEqual({ ...stored, version: 8, csrfSecret: 'next', data: { cart: [1, 2] } });
    expect(await store.listByUser(user)).toEqual([{ key, record: await store.get(key) }]);
  });

  it('with deltaWrites: false offers no update, and writes through set in the earlier format', async () => {
    const plain = new RedisStore({ client, prefix, deltaWrites: false });
    expect(typeof plain.update).toBe('undefined');
    expect(typeof store.update).toBe('function');
    const key = newKey();
    expect(await plain.set(key, record(), { expiresAt: Date.now() + HOUR, expectedVersion: null })).toBe(true);
    const next = record({ version: 2, data: { changed: true } });
    expect(await plain.set(key, next, { expiresAt: Date.now() + HOUR, expectedVersion: 1 })).toBe(true);
    expect(await plain.get(key)).toEqual(next);
    expect(await client.get(sessionKey(key))).toBe(encodeSession(next));
    let error: unknown;
    try {
      new RedisStore({ client, deltaWrites: 'yes' as never });
    } catch (caught) {
      error = caught;
    }
    expect(isSpartanError(error, 'sessions/option-type-incorrect') && error.details.option).toBe('deltaWrites');
  });

  it('with waitForReplicas, an update no replica confirmed fails (not-replicated), as every write', async () => {
    const key = newKey();
    await create(key, record());
    const waiting = new RedisStore({ client, prefix, commandTimeout: 400, waitForReplicas: 1 });
    const error = await update(key, changes({ a: 1 }), Date.now() + HOUR, waiting).catch((caught: unknown) => caught);
    expect(isSpartanError(error, 'sessions/store-unavailable') && error.details.reason).toBe('not-replicated');
  });
});

/** The fold script, as the store defined it on the shared client. */
interface FoldCommand {
  spartanSessionsFold(sessionKey: string, version: string, patches: string, body: string): Promise<number>;
}

/** The `indexedUntil` of a raw value's head. */
function readIndexedUntil(value: string | null): number {
  const match = /^\[\d+,(\d+),/.exec(value ?? '');
  if (match === null) throw new Error('not a record');
  return Number(match[1]);
}
