/**
 * The StateStore contract (lambdas/adapters/ports.ts), one suite run against every
 * implementation: the DynamoDB adapter on dynalite, the local file store and the test double.
 * The expected behaviour comes from DynamoDB's documentation (cited next to each case), plus
 * the port's own promise about expiry: an item whose expiresAt has passed by the injected
 * clock does not exist, for reads and for conditions (DynamoDB's sweep may lag, "Working with
 * expired items", https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ttl-expired-items.html).
 */
import type { StateItem, StateStore } from '../../lambdas/adapters/ports';
import { ConditionFailedError, InvalidInputError } from '../../lambdas/core/errors';
import { FakeClock } from './fake-clock';

export interface StateStoreUnderTest {
  readonly store: StateStore;
  /** Removes what makeStore created (a table, a directory). */
  cleanup(): Promise<void>;
}

const NOW = '2026-11-27T12:00:00.000Z';
const NOW_SECONDS = Date.parse(NOW) / 1000;

/**
 * Sort keys whose UTF-8 byte order differs from JavaScript's default (UTF-16 code unit)
 * order: U+FF61 is EF BD A1 in UTF-8 but U+1F600 is F0 9F 98 80, while in UTF-16 the
 * surrogate pair of U+1F600 (D83D DE00) sorts before FF61. Listed here in UTF-8 byte order.
 */
export const UTF8_ORDERED_SORT_KEYS = ['run#2026-01-01', 'run#2026-01-02', 'run#A', 'run#a', 'run#\u00e9', 'run#\uFF5E\uFF5E', 'run#\uFF61', 'run#\u{1F600}'];

/** Items that DynamoDB returns in several 1 MB query pages ("Paginating table query results"). */
export const PAGED_ITEMS = 36;
const PAGED_ITEM_BYTES = 95 * 1024;

export function pagedSortKey(index: number): string {
  return `page#${String(index).padStart(3, '0')}`;
}

function pagedData(index: number): { index: number; filler: string } {
  return { index, filler: String.fromCharCode(97 + (index % 26)).repeat(PAGED_ITEM_BYTES) };
}

/** Writes the PAGED_ITEMS items of partition `pk` (about 3.3 MB in all). */
export async function writePagedPartition(store: StateStore, pk: string): Promise<void> {
  for (let index = 0; index < PAGED_ITEMS; index++) {
    await store.put({ pk, sk: pagedSortKey(index), data: pagedData(index) }, { ifAbsent: true });
  }
}

async function settle<T>(promises: Array<Promise<T>>): Promise<{ fulfilled: T[]; rejected: unknown[] }> {
  const results = await Promise.allSettled(promises);
  return {
    fulfilled: results.flatMap((result) => (result.status === 'fulfilled' ? [result.value as T] : [])),
    rejected: results.flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : [])),
  };
}

/** Registers the contract's tests for one implementation; `makeStore` makes an empty store on the given clock. */
export function describeStateStoreContract(name: string, makeStore: (clock: FakeClock) => Promise<StateStoreUnderTest>): void {
  describe(`StateStore contract: ${name}`, () => {
    let clock: FakeClock;
    let store: StateStore;
    let cleanup: () => Promise<void>;

    beforeEach(async () => {
      clock = new FakeClock(NOW);
      ({ store, cleanup } = await makeStore(clock));
    });

    afterEach(() => cleanup());

    // Conditional writes: "Conditional writes" and "Implementing version control with optimistic
    // locking", DynamoDB Developer Guide (WorkingWithItems.html#WorkingWithItems.ConditionalUpdate).
    describe('conditional put', () => {
      it('creates an item ifAbsent at version 1 and reads it back', async () => {
        const stored = await store.put({ pk: 'RUN', sk: 'r1', data: { status: 'running' } }, { ifAbsent: true });

        expect(stored).toEqual({ pk: 'RUN', sk: 'r1', version: 1, data: { status: 'running' } });
        await expect(store.get('RUN', 'r1')).resolves.toEqual(stored);
        await expect(store.get('RUN', 'r2')).resolves.toBeUndefined();
      });

      it('refuses ifAbsent over an existing item and leaves it unchanged', async () => {
        await store.put({ pk: 'LOCK', sk: 'p', data: { owner: 'a' } }, { ifAbsent: true });

        await expect(store.put({ pk: 'LOCK', sk: 'p', data: { owner: 'b' } }, { ifAbsent: true })).rejects.toBeInstanceOf(ConditionFailedError);
        await expect(store.get('LOCK', 'p')).resolves.toEqual({ pk: 'LOCK', sk: 'p', version: 1, data: { owner: 'a' } });
      });

      it('writes ifVersion only over that version, counting the version up by one', async () => {
        await store.put({ pk: 'CHAMPION', sk: 'current', data: { runId: 'r1' } }, { ifAbsent: true });

        const second = await store.put({ pk: 'CHAMPION', sk: 'current', data: { runId: 'r2' } }, { ifVersion: 1 });
        const stale = store.put({ pk: 'CHAMPION', sk: 'current', data: { runId: 'r3' } }, { ifVersion: 1 });
        const ahead = store.put({ pk: 'CHAMPION', sk: 'current', data: { runId: 'r4' } }, { ifVersion: 3 });

        expect(second).toEqual({ pk: 'CHAMPION', sk: 'current', version: 2, data: { runId: 'r2' } });
        await expect(stale).rejects.toBeInstanceOf(ConditionFailedError);
        await expect(ahead).rejects.toBeInstanceOf(ConditionFailedError);
        await expect(store.get('CHAMPION', 'current')).resolves.toEqual(second);
      });

      it('refuses ifVersion when there is no item, creating nothing', async () => {
        await expect(store.put({ pk: 'a', sk: 'b', data: {} }, { ifVersion: 1 })).rejects.toBeInstanceOf(ConditionFailedError);
        await expect(store.get('a', 'b')).resolves.toBeUndefined();
      });

      it('writes always, creating at version 1 and counting up by one whatever the previous condition', async () => {
        const versions = [
          (await store.put({ pk: 'a', sk: 'b', data: 1 }, { always: true })).version,
          (await store.put({ pk: 'a', sk: 'b', data: 2 }, { always: true })).version,
          (await store.put({ pk: 'a', sk: 'b', data: 3 }, { ifVersion: 2 })).version,
          (await store.put({ pk: 'a', sk: 'b', data: 4 }, { always: true })).version,
        ];

        expect(versions).toEqual([1, 2, 3, 4]);
        await expect(store.get('a', 'b')).resolves.toEqual({ pk: 'a', sk: 'b', version: 4, data: 4 });
      });

      it('replaces the whole item: a put without expiresAt removes the previous one', async () => {
        await store.put({ pk: 'LOCK', sk: 'p', data: { a: 1 }, expiresAt: NOW_SECONDS + 60 }, { ifAbsent: true });

        const always = await store.put({ pk: 'LOCK', sk: 'p', data: { b: 2 } }, { always: true });
        clock.advanceSeconds(120);

        expect(always).toEqual({ pk: 'LOCK', sk: 'p', version: 2, data: { b: 2 } });
        await expect(store.get('LOCK', 'p')).resolves.toEqual(always);
      });

      it('keeps an expiresAt that has not passed and returns it', async () => {
        const stored = await store.put({ pk: 'TRIGGER', sk: 'e1', data: {}, expiresAt: NOW_SECONDS + 3600 }, { ifAbsent: true });

        expect(stored).toEqual({ pk: 'TRIGGER', sk: 'e1', version: 1, data: {}, expiresAt: NOW_SECONDS + 3600 });
        await expect(store.get('TRIGGER', 'e1')).resolves.toEqual(stored);
      });

      it('rejects empty keys, a version that is not a positive integer and a bad expiresAt with InvalidInputError', async () => {
        await expect(store.put({ pk: '', sk: 'b', data: {} }, { ifAbsent: true })).rejects.toBeInstanceOf(InvalidInputError);
        await expect(store.put({ pk: 'a', sk: '', data: {} }, { always: true })).rejects.toBeInstanceOf(InvalidInputError);
        await expect(store.put({ pk: 'a', sk: 'b', data: {} }, { ifVersion: 0 })).rejects.toBeInstanceOf(InvalidInputError);
        await expect(store.put({ pk: 'a', sk: 'b', data: {}, expiresAt: Number.NaN }, { always: true })).rejects.toBeInstanceOf(InvalidInputError);
        await expect(store.get('', 'b')).rejects.toBeInstanceOf(InvalidInputError);
        await expect(store.get('a', 'b')).resolves.toBeUndefined();
      });

      // "Partition key: the maximum length ... is 2048 bytes"; "Sort key: ... 1024 bytes"
      // (DynamoDB Developer Guide, Constraints.html#limits-partition-sort-keys).
      it('rejects keys longer than DynamoDB allows (pk 2048, sk 1024 UTF-8 bytes) with InvalidInputError', async () => {
        const longestSk = 'é'.repeat(512); // 1024 bytes
        await expect(store.put({ pk: 'p'.repeat(2048), sk: longestSk, data: 1 }, { ifAbsent: true })).resolves.toMatchObject({ version: 1 });

        await expect(store.put({ pk: 'p'.repeat(2049), sk: 's', data: 1 }, { ifAbsent: true })).rejects.toBeInstanceOf(InvalidInputError);
        await expect(store.put({ pk: 'p', sk: `${longestSk}x`, data: 1 }, { ifAbsent: true })).rejects.toBeInstanceOf(InvalidInputError);
      });
    });

    describe('delete', () => {
      // "Unless you specify conditions, the DeleteItem is an idempotent operation" (DynamoDB API Reference, DeleteItem).
      it('deletes without a condition, and deleting a missing item is not an error', async () => {
        await store.put({ pk: 'PENDING', sk: 'e1', data: {} }, { ifAbsent: true });

        await store.delete('PENDING', 'e1');
        await expect(store.get('PENDING', 'e1')).resolves.toBeUndefined();
        await expect(store.delete('PENDING', 'e1')).resolves.toBeUndefined();
        await expect(store.delete('PENDING', 'never-written')).resolves.toBeUndefined();
      });

      it('deletes ifVersion only that version, and fails on a missing item', async () => {
        await store.put({ pk: 'LOCK', sk: 'p', data: {} }, { ifAbsent: true });
        await store.put({ pk: 'LOCK', sk: 'p', data: {} }, { ifVersion: 1 });

        await expect(store.delete('LOCK', 'p', { ifVersion: 1 })).rejects.toBeInstanceOf(ConditionFailedError);
        await expect(store.get('LOCK', 'p')).resolves.toMatchObject({ version: 2 });
        await store.delete('LOCK', 'p', { ifVersion: 2 });
        await expect(store.get('LOCK', 'p')).resolves.toBeUndefined();
        await expect(store.delete('LOCK', 'p', { ifVersion: 2 })).rejects.toBeInstanceOf(ConditionFailedError);
      });

      it('starts a deleted item again at version 1', async () => {
        await store.put({ pk: 'a', sk: 'b', data: 1 }, { always: true });
        await store.put({ pk: 'a', sk: 'b', data: 2 }, { always: true });
        await store.delete('a', 'b');

        await expect(store.put({ pk: 'a', sk: 'b', data: 3 }, { always: true })).resolves.toMatchObject({ version: 1 });
      });
    });

    describe('concurrency', () => {
      it('lets exactly one of 25 concurrent ifAbsent puts of the same key win; the others fail with ConditionFailedError', async () => {
        const { fulfilled, rejected } = await settle(
          Array.from({ length: 25 }, (_, owner) => store.put({ pk: 'LOCK', sk: 'pipeline', data: { owner } }, { ifAbsent: true })),
        );

        expect(fulfilled).toHaveLength(1);
        expect(rejected).toHaveLength(24);
        expect(rejected.every((reason) => reason instanceof ConditionFailedError)).toBe(true);
        await expect(store.get('LOCK', 'pipeline')).resolves.toEqual(fulfilled[0]);
      });

      it('lets exactly one of 10 concurrent ifVersion puts from the same version win', async () => {
        await store.put({ pk: 'LOCK', sk: 'pipeline', data: { owner: -1 } }, { ifAbsent: true });

        const { fulfilled, rejected } = await settle(
          Array.from({ length: 10 }, (_, owner) => store.put({ pk: 'LOCK', sk: 'pipeline', data: { owner } }, { ifVersion: 1 })),
        );

        expect(fulfilled.map((item) => item.version)).toEqual([2]);
        expect(rejected.every((reason) => reason instanceof ConditionFailedError)).toBe(true);
        await expect(store.get('LOCK', 'pipeline')).resolves.toEqual(fulfilled[0]);
      });

      it('loses no update among 20 concurrent always puts: each gets its own version', async () => {
        const stored = await Promise.all(Array.from({ length: 20 }, (_, i) => store.put({ pk: 'n', sk: 'n', data: i }, { always: true })));

        expect(stored.map((item) => item.version).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
        await expect(store.get('n', 'n')).resolves.toMatchObject({ version: 20 });
      });
    });

    describe('expiry (expiresAt <= now by the injected clock)', () => {
      beforeEach(async () => {
        await store.put({ pk: 'LOCK', sk: 'p', data: { owner: 'a' }, expiresAt: NOW_SECONDS + 60 }, { ifAbsent: true });
        await store.put({ pk: 'LOCK', sk: 'q', data: { owner: 'a' }, expiresAt: NOW_SECONDS + 60 }, { ifAbsent: true });
        await store.put({ pk: 'LOCK', sk: 'r', data: { owner: 'a' }, expiresAt: NOW_SECONDS + 61 }, { ifAbsent: true });
      });

      it('shows an item until its expiresAt and hides it from get and query from that second on', async () => {
        clock.advance(59_999);
        await expect(store.get('LOCK', 'p')).resolves.toMatchObject({ version: 1 });
        clock.advance(1);

        await expect(store.get('LOCK', 'p')).resolves.toBeUndefined();
        await expect(store.query('LOCK')).resolves.toEqual([{ pk: 'LOCK', sk: 'r', version: 1, data: { owner: 'a' }, expiresAt: NOW_SECONDS + 61 }]);
      });

      it('lets ifAbsent and always overwrite an expired item as a new one (version 1)', async () => {
        clock.advanceSeconds(60);

        await expect(store.put({ pk: 'LOCK', sk: 'p', data: { owner: 'b' } }, { ifAbsent: true })).resolves.toEqual({ pk: 'LOCK', sk: 'p', version: 1, data: { owner: 'b' } });
        await expect(store.put({ pk: 'LOCK', sk: 'q', data: { owner: 'b' } }, { always: true })).resolves.toEqual({ pk: 'LOCK', sk: 'q', version: 1, data: { owner: 'b' } });
        await expect(store.get('LOCK', 'p')).resolves.toEqual({ pk: 'LOCK', sk: 'p', version: 1, data: { owner: 'b' } });
      });

      it('fails ifVersion puts and deletes on an expired item', async () => {
        clock.advanceSeconds(60);

        await expect(store.put({ pk: 'LOCK', sk: 'p', data: { owner: 'b' } }, { ifVersion: 1 })).rejects.toBeInstanceOf(ConditionFailedError);
        await expect(store.delete('LOCK', 'q', { ifVersion: 1 })).rejects.toBeInstanceOf(ConditionFailedError);
        await expect(store.get('LOCK', 'p')).resolves.toBeUndefined();
      });

      it('counts only live items against a query limit', async () => {
        clock.advanceSeconds(60);
        await store.put({ pk: 'LOCK', sk: 's', data: {} }, { ifAbsent: true });

        const items = await store.query('LOCK', { limit: 2 });

        expect(items.map((item) => item.sk)).toEqual(['r', 's']);
      });
    });

    describe('query', () => {
      beforeEach(async () => {
        // Written out of order, so the order of the result comes from the store.
        for (const sk of [...UTF8_ORDERED_SORT_KEYS].reverse().sort((a, b) => (a.length % 3) - (b.length % 3))) {
          await store.put({ pk: 'RUNS', sk, data: { sk } }, { ifAbsent: true });
        }
        await store.put({ pk: 'RUNS', sk: 'meta', data: {} }, { ifAbsent: true });
        await store.put({ pk: 'RUNS', sk: 'ru', data: {} }, { ifAbsent: true });
        await store.put({ pk: 'RUNS#', sk: 'run#x', data: {} }, { ifAbsent: true });
        await store.put({ pk: 'RUN', sk: 'run#y', data: {} }, { ifAbsent: true });
      });

      // "Query results are always sorted by the sort key value ... the results are returned in
      // order of UTF-8 bytes" (DynamoDB Developer Guide, Query.KeyConditionExpressions.html).
      it('returns one partition in UTF-8 byte order of the sort key', async () => {
        const items = await store.query('RUNS');

        expect(items.map((item) => item.sk)).toEqual(['meta', 'ru', ...UTF8_ORDERED_SORT_KEYS]);
        expect(items.every((item) => item.pk === 'RUNS' && item.version === 1)).toBe(true);
      });

      it('keeps only sort keys that begin with the prefix', async () => {
        await expect(store.query('RUNS', { beginsWith: 'run#' }).then((items) => items.map((item) => item.sk))).resolves.toEqual(UTF8_ORDERED_SORT_KEYS);
        await expect(store.query('RUNS', { beginsWith: 'run#\uFF5E' }).then((items) => items.map((item) => item.sk))).resolves.toEqual(['run#\uFF5E\uFF5E']);
        await expect(store.query('RUNS', { beginsWith: 'zzz' })).resolves.toEqual([]);
        await expect(store.query('NOBODY')).resolves.toEqual([]);
      });

      // "ScanIndexForward ... If false, DynamoDB reads the results in reverse order by sort key value" (API Reference, Query).
      it('returns the newest first (descending byte order) and stops at the limit', async () => {
        const newest = await store.query('RUNS', { beginsWith: 'run#', newestFirst: true, limit: 3 });
        const oldest = await store.query('RUNS', { beginsWith: 'run#', limit: 2 });

        expect(newest.map((item) => item.sk)).toEqual(['run#\u{1F600}', 'run#\uFF61', 'run#\uFF5E\uFF5E']);
        expect(oldest.map((item) => item.sk)).toEqual(['run#2026-01-01', 'run#2026-01-02']);
        await expect(store.query('RUNS', { limit: 100 })).resolves.toHaveLength(UTF8_ORDERED_SORT_KEYS.length + 2);
      });

      it('rejects an empty partition key and a limit that is not a positive integer with InvalidInputError', async () => {
        await expect(store.query('')).rejects.toBeInstanceOf(InvalidInputError);
        await expect(store.query('RUNS', { limit: 0 })).rejects.toBeInstanceOf(InvalidInputError);
        await expect(store.query('RUNS', { limit: 1.5 })).rejects.toBeInstanceOf(InvalidInputError);
      });
    });

    // "DynamoDB paginates the results from Query operations ... pages of data that are 1 MB in
    // size (or less)" (DynamoDB Developer Guide, Query.Pagination.html): a query of the port
    // returns every page, in order.
    describe('a partition larger than one 1 MB query page', () => {
      beforeEach(() => writePagedPartition(store, 'BIG'));

      it('returns every item in order, ascending and descending', async () => {
        const ascending = await store.query<{ index: number; filler: string }>('BIG');
        const descending = await store.query<{ index: number }>('BIG', { newestFirst: true });

        expect(ascending.map((item) => item.sk)).toEqual(Array.from({ length: PAGED_ITEMS }, (_, i) => pagedSortKey(i)));
        expect(ascending.every((item) => item.data.filler === pagedData(item.data.index).filler)).toBe(true);
        expect(descending.map((item) => item.data.index)).toEqual(Array.from({ length: PAGED_ITEMS }, (_, i) => PAGED_ITEMS - 1 - i));
      });

      it('stops at a limit that spans pages, and filters a prefix across pages', async () => {
        const limited = await store.query('BIG', { limit: 25 });
        const prefixed = await store.query('BIG', { beginsWith: 'page#02', newestFirst: true });

        expect(limited.map((item) => item.sk)).toEqual(Array.from({ length: 25 }, (_, i) => pagedSortKey(i)));
        expect(prefixed.map((item) => item.sk)).toEqual(Array.from({ length: 10 }, (_, i) => pagedSortKey(29 - i)));
      });
    });

    describe('data as a JSON document', () => {
      it('stores what JSON carries: undefined members dropped, dates as ISO strings, nested arrays and objects, unicode', async () => {
        const data = {
          at: new Date(NOW),
          gone: undefined,
          nested: { list: [1, 'two', null, true, false, { deep: [[], {}] }], empty: {} },
          holes: [undefined, 1],
          text: 'héllo — ☃ 😀 ｡ 中文',
          blank: '',
          numbers: [0, -1, 1.5, -2.25e-7, 123456789012345, Number.MAX_SAFE_INTEGER],
        };

        const stored = await store.put({ pk: 'DOC', sk: 'd', data }, { ifAbsent: true });

        const expected = {
          at: NOW,
          nested: { list: [1, 'two', null, true, false, { deep: [[], {}] }], empty: {} },
          holes: [null, 1],
          text: 'héllo — ☃ 😀 ｡ 中文',
          blank: '',
          numbers: [0, -1, 1.5, -2.25e-7, 123456789012345, Number.MAX_SAFE_INTEGER],
        };
        expect(stored.data).toEqual(expected);
        expect(Object.keys(stored.data)).not.toContain('gone');
        await expect(store.get('DOC', 'd')).resolves.toEqual({ pk: 'DOC', sk: 'd', version: 1, data: expected });
        await expect(store.query('DOC')).resolves.toEqual([{ pk: 'DOC', sk: 'd', version: 1, data: expected }]);
      });

      it('stores scalars and null as the whole data', async () => {
        for (const [sk, data] of [['string', 'text'], ['number', 42], ['null', null], ['boolean', false], ['list', [1, [2]]]] as const) {
          await store.put({ pk: 'DOC', sk, data }, { ifAbsent: true });
          await expect(store.get('DOC', sk)).resolves.toMatchObject({ data });
        }
      });

      it('rejects data that is not JSON, and numbers DynamoDB cannot hold exactly, with InvalidInputError', async () => {
        // DynamoDB numbers: "Positive range: 1E-130 to 9.9999999999999999999999999999999999999E+125",
        // up to 38 digits (Developer Guide, HowItWorks.NamingRulesDataTypes.html); the SDK's
        // marshaller refuses numbers beyond Number.MAX_SAFE_INTEGER (they would come back as BigInt).
        for (const data of [undefined, () => 1, { n: 2 ** 53 }, { n: -1e20 }, { n: [1e-200] }, { n: 1e300 }]) {
          await expect(store.put({ pk: 'DOC', sk: 'bad', data }, { always: true })).rejects.toBeInstanceOf(InvalidInputError);
        }
        await expect(store.get('DOC', 'bad')).resolves.toBeUndefined();
      });

      it('rejects strings that are not valid Unicode (a lone surrogate cannot be UTF-8) with InvalidInputError', async () => {
        await expect(store.put({ pk: 'DOC', sk: 'bad', data: { text: 'a\uD800b' } }, { always: true })).rejects.toBeInstanceOf(InvalidInputError);
        await expect(store.put({ pk: 'DOC', sk: '\uDE00', data: {} }, { always: true })).rejects.toBeInstanceOf(InvalidInputError);
        await expect(store.put({ pk: 'DOC', sk: 'bad', data: { ['\uD83D']: 1 } }, { always: true })).rejects.toBeInstanceOf(InvalidInputError);
      });
    });

    describe('returned items are copies', () => {
      it('is not changed by mutating the input after put, or what put, get or query returned', async () => {
        const input = { list: [1], inner: { flag: true } };
        const stored = await store.put({ pk: 'DOC', sk: 'd', data: input }, { ifAbsent: true });

        input.list.push(2);
        input.inner.flag = false;
        (stored.data as { list: number[] }).list.push(3);
        const got = (await store.get<{ list: number[]; inner: { flag: boolean } }>('DOC', 'd')) as StateItem<{ list: number[]; inner: { flag: boolean } }>;
        got.data.list.push(4);
        got.data.inner.flag = false;
        const [queried] = await store.query<{ list: number[] }>('DOC');
        queried.data.list.push(5);

        await expect(store.get('DOC', 'd')).resolves.toEqual({ pk: 'DOC', sk: 'd', version: 1, data: { list: [1], inner: { flag: true } } });
      });
    });

    // "The maximum item size in DynamoDB is 400 KB, which includes both attribute name binary
    // length (UTF-8 length) and attribute value lengths" (Developer Guide, Constraints.html#limits-items).
    describe('item size', () => {
      it('rejects an item over 400 KB with InvalidInputError and stores nothing', async () => {
        await expect(store.put({ pk: 'DOC', sk: 'big', data: { text: 'x'.repeat(400 * 1024) } }, { ifAbsent: true })).rejects.toBeInstanceOf(InvalidInputError);
        await expect(store.put({ pk: 'DOC', sk: 'big', data: { text: 'é'.repeat(200 * 1024) } }, { always: true })).rejects.toBeInstanceOf(InvalidInputError);

        await expect(store.get('DOC', 'big')).resolves.toBeUndefined();
      });

      it('accepts an item just under 400 KB', async () => {
        const text = 'x'.repeat(400 * 1024 - 100);

        await expect(store.put({ pk: 'DOC', sk: 'big', data: { text } }, { ifAbsent: true })).resolves.toMatchObject({ version: 1 });
        await expect(store.get<{ text: string }>('DOC', 'big').then((item) => item?.data.text.length)).resolves.toBe(text.length);
      });
    });
  });
}
