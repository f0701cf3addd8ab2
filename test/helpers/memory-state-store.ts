import type { PutCondition, StateItem, StateStore } from '../../lambdas/adapters/ports';
import { ConditionFailedError } from '../../lambdas/core/errors';

/**
 * The StateStore contract in memory, for core tests. Every call yields to the event loop
 * first, so concurrent callers interleave the way they do against a real table.
 */
export class MemoryStateStore implements StateStore {
  readonly items = new Map<string, StateItem>();
  writes = 0;

  async get<T>(pk: string, sk: string): Promise<StateItem<T> | undefined> {
    await tick();
    return this.items.get(key(pk, sk)) as StateItem<T> | undefined;
  }

  async put<T>(item: { pk: string; sk: string; data: T; expiresAt?: number }, condition: PutCondition): Promise<StateItem<T>> {
    await tick();
    const current = this.items.get(key(item.pk, item.sk));
    if ('ifAbsent' in condition && current) throw new ConditionFailedError(`${item.pk}/${item.sk} exists`);
    if ('ifVersion' in condition && current?.version !== condition.ifVersion) {
      throw new ConditionFailedError(`${item.pk}/${item.sk} is at version ${current?.version}, expected ${condition.ifVersion}`);
    }
    const stored: StateItem<T> = { ...item, data: structuredClone(item.data), version: (current?.version ?? 0) + 1 };
    this.items.set(key(item.pk, item.sk), stored);
    this.writes++;
    return stored;
  }

  async delete(pk: string, sk: string, condition?: { ifVersion: number }): Promise<void> {
    await tick();
    const current = this.items.get(key(pk, sk));
    if (condition && current?.version !== condition.ifVersion) {
      throw new ConditionFailedError(`${pk}/${sk} is at version ${current?.version}, expected ${condition.ifVersion}`);
    }
    this.items.delete(key(pk, sk));
  }

  async query<T>(pk: string, options: { beginsWith?: string; limit?: number; newestFirst?: boolean } = {}): Promise<StateItem<T>[]> {
    await tick();
    const found = [...this.items.values()]
      .filter((i) => i.pk === pk && (!options.beginsWith || i.sk.startsWith(options.beginsWith)))
      .sort((a, b) => (a.sk < b.sk ? -1 : a.sk > b.sk ? 1 : 0));
    if (options.newestFirst) found.reverse();
    return (options.limit ? found.slice(0, options.limit) : found) as StateItem<T>[];
  }

  /** Items of one partition, data only. */
  partition<T>(pk: string): T[] {
    return [...this.items.values()].filter((i) => i.pk === pk).map((i) => i.data as T);
  }
}

function key(pk: string, sk: string): string {
  return `${pk}\u0000${sk}`;
}

function tick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
