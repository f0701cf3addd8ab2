import { isExpired, normalizeStateWrite, validateExpectedVersion, validateStateKey } from '../../lambdas/adapters/dynamodb-state-store';
import type { Clock, PutCondition, StateItem, StateStore } from '../../lambdas/adapters/ports';
import { ConditionFailedError, InvalidInputError } from '../../lambdas/core/errors';

/**
 * The StateStore contract in memory, for core tests; it passes the same contract suite as the
 * DynamoDB adapter and the file store (test/unit/adapters/state-store-contract.test.ts). Writes
 * go through the DynamoDB adapter's normalizeStateWrite (same JSON semantics, size and key
 * limits); items whose expiresAt has passed by the injected clock are absent; sort keys compare
 * by UTF-8 bytes; every item handed out is a copy. Every call yields to the event loop first,
 * so concurrent callers interleave the way they do against a real table.
 */
export class MemoryStateStore implements StateStore {
  /** What is stored, expired items included (as in DynamoDB before its TTL sweep). */
  readonly items = new Map<string, StateItem>();
  /** Successful puts. */
  writes = 0;

  /** @param clock - decides which items have expired: pass the clock the code under test uses. */
  constructor(private readonly clock: Clock) {}

  async get<T>(pk: string, sk: string): Promise<StateItem<T> | undefined> {
    await tick();
    validateStateKey(pk, sk);
    const item = this.live(pk, sk);
    return item === undefined ? undefined : (structuredClone(item) as StateItem<T>);
  }

  async put<T>(item: { pk: string; sk: string; data: T; expiresAt?: number }, condition: PutCondition): Promise<StateItem<T>> {
    await tick();
    const write = normalizeStateWrite(item, condition);
    const current = this.live(write.pk, write.sk);
    if ('ifAbsent' in condition && current) throw new ConditionFailedError(`${write.pk}/${write.sk} exists at version ${current.version}`);
    if ('ifVersion' in condition && current?.version !== condition.ifVersion) {
      throw new ConditionFailedError(`${write.pk}/${write.sk} is at version ${current?.version ?? '(none)'}, expected ${condition.ifVersion}`);
    }
    const stored: StateItem<T> = { ...write, version: (current?.version ?? 0) + 1 };
    this.items.set(key(write.pk, write.sk), stored);
    this.writes++;
    return structuredClone(stored);
  }

  async delete(pk: string, sk: string, condition?: { readonly ifVersion: number }): Promise<void> {
    await tick();
    validateStateKey(pk, sk);
    if (condition) {
      validateExpectedVersion(pk, sk, condition.ifVersion);
      const current = this.live(pk, sk);
      if (current?.version !== condition.ifVersion) {
        throw new ConditionFailedError(`${pk}/${sk} is at version ${current?.version ?? '(none)'}, expected ${condition.ifVersion}`);
      }
    }
    this.items.delete(key(pk, sk));
  }

  async query<T>(pk: string, options: { beginsWith?: string; limit?: number; newestFirst?: boolean } = {}): Promise<StateItem<T>[]> {
    await tick();
    const { beginsWith = '', limit, newestFirst = false } = options;
    if (typeof pk !== 'string' || pk.length === 0) throw new InvalidInputError(`query needs a non-empty pk, got ${JSON.stringify(pk)}`);
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) throw new InvalidInputError(`query limit of ${pk} must be a positive integer, got ${limit}`);
    const found = this.liveItems(pk)
      .filter((item) => item.sk.startsWith(beginsWith))
      .sort((a, b) => compareUtf8(a.sk, b.sk) * (newestFirst ? -1 : 1));
    return structuredClone(limit === undefined ? found : found.slice(0, limit)) as StateItem<T>[];
  }

  /** Data of the live items of one partition, in sort-key order (copies). */
  partition<T>(pk: string): T[] {
    return this.liveItems(pk)
      .sort((a, b) => compareUtf8(a.sk, b.sk))
      .map((item) => structuredClone(item.data) as T);
  }

  private live(pk: string, sk: string): StateItem | undefined {
    const item = this.items.get(key(pk, sk));
    return item === undefined || isExpired(item, this.clock.now()) ? undefined : item;
  }

  private liveItems(pk: string): StateItem[] {
    const now = this.clock.now();
    return [...this.items.values()].filter((item) => item.pk === pk && !isExpired(item, now));
  }
}

function key(pk: string, sk: string): string {
  return JSON.stringify([pk, sk]);
}

/** DynamoDB orders string sort keys by their UTF-8 bytes (Developer Guide, Query key condition expressions). */
function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function tick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
